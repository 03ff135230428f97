"""The Matrix adapter of ``ChatPlatform``: the client-server API v3 over plain httpx.

A rate limit (429 / M_LIMIT_EXCEEDED with retry_after_ms), an outage (5xx) or an unreachable homeserver becomes
a retryable ``MatrixError`` and the engine tries again later; anything else (a refused token, a room the bot is
not in, too low a power level) is permanent, with what to fix.

Matrix has no buttons: a page is a direct message that carries its alert number in ``org.warroom.alert``, and
is acknowledged by a 👍 reaction or a reply. An incident room is archived by making it read-only (only the bot
may still post) and prefixing its name with ``[closed]``; the room and its history stay readable.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from warroom.core.delivery import DeliveryError
from warroom.ports.chat import Action, DeclareForm, Posted, Room

log = logging.getLogger("warroom.matrix")

API = "/_matrix/client/v3"
ALERT_FIELD = "org.warroom.alert"
ARCHIVED_PREFIX = "[closed] "
READ_ONLY_LEVEL = 50
PAGE_HINT = "React with 👍 or reply “ack” to acknowledge; reply “escalate” or “close” to do that."
HINTS = {
    "M_UNKNOWN_TOKEN": "the homeserver refused the access token; set WARROOM_MATRIX_ACCESS_TOKEN to the bot's token",
    "M_MISSING_TOKEN": "no access token was sent; set WARROOM_MATRIX_ACCESS_TOKEN",
    "M_FORBIDDEN": "the bot is not allowed to; invite it to the room and give it a power level that permits this",
    "M_NOT_FOUND": "the homeserver does not know that room, event or user",
}
MATRIX_USER = re.compile(r"^@[^:\s]+:\S+$")


class MatrixError(DeliveryError):
    def __init__(self, message: str, *, code: str = "", permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.code = code


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response, data: dict[str, Any]) -> float | None:
    millis = data.get("retry_after_ms")
    if isinstance(millis, int | float) and millis >= 0:
        return float(millis) / 1000
    header = response.headers.get("retry-after")
    try:
        return max(float(header), 0.0) if header is not None else None
    except ValueError:
        return None


def error_of(what: str, response: httpx.Response) -> MatrixError:
    data = _body(response)
    code = str(data.get("errcode", ""))
    said = str(data.get("error", ""))
    if response.status_code == 429 or code == "M_LIMIT_EXCEEDED":
        wait = _retry_after(response, data)
        later = f"; retrying in {wait:.1f} s" if wait is not None else ""
        return MatrixError(f"The homeserver rate-limited {what}{later}.", code="M_LIMIT_EXCEEDED", retry_after=wait)
    if response.status_code >= 500:
        return MatrixError(f"The homeserver is failing ({what}: HTTP {response.status_code} {code}".rstrip()
                           + "); will retry.", code=code)
    hint = HINTS.get(code, "")
    detail = f": {code or f'HTTP {response.status_code}'}" + (f" {said}" if said else "")
    return MatrixError(f"The homeserver refused {what}{detail}" + (f" ({hint})" if hint else ""), code=code,
                       permanent=True)


# Text ----------------------------------------------------------------------------------------------------

LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")
ROOM_LINK = re.compile(r"<#([^>|\s]+)>")
BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
CODE = re.compile(r"`([^`\n]+)`")
SLASH_COMMAND = re.compile(r"(?<![\w/!])/(incident|genie)\b")


def commands_for_matrix(text: str) -> str:
    """The command language's ``/incident`` and ``/genie`` as they are typed in Matrix: ``!incident``."""
    return SLASH_COMMAND.sub(r"!\1", text)


def formatted(text: str) -> tuple[str, str]:
    """Warroom's chat text (Slack-style marks) as Matrix's plain ``body`` and HTML ``formatted_body``."""
    text = commands_for_matrix(text)
    plain = LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    plain = ROOM_LINK.sub(lambda m: f"https://matrix.to/#/{m.group(1)}", plain)
    plain = BOLD.sub(r"\1", plain)
    pieces: list[str] = []
    position = 0
    marks = re.compile(f"{LINK.pattern}|{ROOM_LINK.pattern}")
    for match in marks.finditer(text):
        pieces.append(_inline(text[position:match.start()]))
        if match.group(1):
            pieces.append(f'<a href="{html.escape(match.group(1))}">{_inline(match.group(2))}</a>')
        else:
            room = html.escape(match.group(3))
            pieces.append(f'<a href="https://matrix.to/#/{room}">{room}</a>')
        position = match.end()
    pieces.append(_inline(text[position:]))
    return plain, "".join(pieces).replace("\n", "<br>")


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = CODE.sub(r"<code>\1</code>", escaped)
    return BOLD.sub(r"<strong>\1</strong>", escaped)


def _content(text: str, msgtype: str = "m.notice") -> dict[str, Any]:
    body, rich = formatted(text)
    return {"msgtype": msgtype, "body": body, "format": "org.matrix.custom.html", "formatted_body": rich}


def _path(value: str) -> str:
    return quote(value, safe="")


# The platform -------------------------------------------------------------------------------------------


def transaction_id(room_id: str, event_type: str, content: dict[str, Any]) -> str:
    canonical = json.dumps([room_id, event_type, content], sort_keys=True, separators=(",", ":"))
    return "wr" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


@dataclass
class MatrixPlatform:
    homeserver: str
    user_id: str
    access_token: str
    timeout: float = 10.0
    name: str = "matrix"
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=self.homeserver.rstrip("/"), timeout=self.timeout,
                                      headers={"Authorization": f"Bearer {self.access_token}"})
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def call(self, method: str, path: str, what: str, *, body: dict[str, Any] | None = None,
             params: dict[str, str] | None = None, fine: Sequence[str] = (), timeout: float | None = None,
             ) -> dict[str, Any]:
        """One client-server API call; ``fine`` lists errcodes answered as an empty result."""
        if not self.homeserver or not self.access_token:
            raise MatrixError("Matrix is not configured; set WARROOM_MATRIX_HOMESERVER and "
                              "WARROOM_MATRIX_ACCESS_TOKEN.", permanent=True)
        try:
            response = self.http.request(method, path if path.startswith("/_") else API + path, json=body,
                                         params=params, timeout=timeout if timeout is not None else self.timeout)
        except httpx.HTTPError as error:
            raise MatrixError(f"The homeserver could not be reached for {what}: {type(error).__name__}") from error
        if response.is_success:
            return _body(response)
        failure = error_of(what, response)
        if failure.code in fine:
            return {}
        raise failure

    def _send(self, room_id: str, event_type: str, content: dict[str, Any], what: str) -> str:
        # The same event gets the same transaction id, so a retry after a lost answer (a time-out, a 502) is
        # answered by the homeserver with the event it already made instead of posting it twice.
        txn = transaction_id(room_id, event_type, content)
        data = self.call("PUT", f"/rooms/{_path(room_id)}/send/{_path(event_type)}/{txn}", what, body=content)
        if not data.get("event_id"):
            raise MatrixError(f"The homeserver's answer to {what} has no event_id.")
        return str(data["event_id"])

    def _state(self, room_id: str, event_type: str, content: dict[str, Any], what: str) -> None:
        self.call("PUT", f"/rooms/{_path(room_id)}/state/{_path(event_type)}/", what, body=content)

    def _get_state(self, room_id: str, event_type: str, what: str) -> dict[str, Any]:
        return self.call("GET", f"/rooms/{_path(room_id)}/state/{_path(event_type)}/", what, fine=("M_NOT_FOUND",))

    def whoami(self) -> str:
        """GET /account/whoami: the user the access token belongs to."""
        return str(self.call("GET", "/account/whoami", "checking the access token").get("user_id", ""))

    def joined_room(self, room: str) -> str:
        """The id of a room given by id or #alias, joining it if the bot is not in it yet."""
        data = self.call("POST", f"/join/{_path(room)}", f"joining {room}")
        return str(data.get("room_id") or room)

    def event(self, *, room_id: str, event_id: str) -> dict[str, Any]:
        return self.call("GET", f"/rooms/{_path(room_id)}/event/{_path(event_id)}", "reading an event",
                         fine=("M_NOT_FOUND", "M_FORBIDDEN"))

    # Rooms ---------------------------------------------------------------------------------------------

    def create_room(self, *, name: str, private: bool) -> Room:
        """A room per incident: invite-only when private, else joinable by anyone on the homeserver."""
        data = self.call("POST", "/createRoom", "creating a room", body={
            "name": name, "preset": "private_chat" if private else "public_chat", "visibility": "private"})
        if not data.get("room_id"):
            raise MatrixError("The homeserver's createRoom answer has no room_id.")
        return Room(str(data["room_id"]), name)

    def rename_room(self, *, room_id: str, name: str) -> None:
        self._state(room_id, "m.room.name", {"name": name}, "renaming the room")

    def archive_room(self, *, room_id: str) -> None:
        name = str(self._get_state(room_id, "m.room.name", "reading the room's name").get("name", ""))
        if not name.startswith(ARCHIVED_PREFIX):
            self._state(room_id, "m.room.name", {"name": ARCHIVED_PREFIX + name}, "renaming the closed room")
        levels = self._get_state(room_id, "m.room.power_levels", "reading the room's power levels")
        if levels and levels.get("events_default", 0) < READ_ONLY_LEVEL:
            levels = {**levels, "events_default": READ_ONLY_LEVEL}
            self._state(room_id, "m.room.power_levels", levels, "making the closed room read-only")

    def restrict_room(self, *, room_id: str) -> bool:
        """Invite-only from now on, and newcomers read nothing from before they joined."""
        self._state(room_id, "m.room.join_rules", {"join_rule": "invite"}, "making the room invite-only")
        self._state(room_id, "m.room.history_visibility", {"history_visibility": "joined"},
                    "hiding the room's history from newcomers")
        return True

    def set_topic(self, *, room_id: str, topic: str) -> None:
        self._state(room_id, "m.room.topic", {"topic": topic}, "setting the topic")

    def invite(self, *, room_id: str, people: Sequence[str]) -> None:
        for person in people:
            if person == self.user_id:
                continue
            try:
                self.call("POST", f"/rooms/{_path(room_id)}/invite", f"inviting {person}",
                          body={"user_id": person})
            except MatrixError as error:
                if error.permanent and "already in the room" in str(error):
                    continue
                raise

    # People --------------------------------------------------------------------------------------------

    def is_member_id(self, address: str) -> bool:
        return MATRIX_USER.match(address) is not None

    def find_person(self, *, email: str) -> str | None:
        """The Matrix user with this email as a third-party id (needs the bot to be a Synapse admin)."""
        data = self.call("GET", f"/_synapse/admin/v1/threepid/email/users/{_path(email.strip().lower())}",
                         "looking up a user by email", fine=("M_NOT_FOUND", "M_FORBIDDEN", "M_UNRECOGNIZED"))
        user = data.get("user_id")
        return str(user) if user else None

    def email_of(self, *, person_id: str) -> str | None:
        data = self.call("GET", f"/_synapse/admin/v2/users/{_path(person_id)}", "reading a user's email",
                         fine=("M_NOT_FOUND", "M_FORBIDDEN", "M_UNRECOGNIZED"))
        for threepid in data.get("threepids") or []:
            if isinstance(threepid, dict) and threepid.get("medium") == "email" and threepid.get("address"):
                return str(threepid["address"])
        return None

    # Messages ------------------------------------------------------------------------------------------

    def post_message(self, *, room_id: str, text: str) -> Posted:
        if room_id.startswith("#"):
            room_id = self.joined_room(room_id)
        return Posted(room_id, self._send(room_id, "m.room.message", _content(text), "posting a message"))

    def post_notice(self, *, room_id: str, text: str, reply_to: str = "") -> Posted:
        content = _content(text)
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return Posted(room_id, self._send(room_id, "m.room.message", content, "answering"))

    def update_message(self, *, room_id: str, message_id: str, text: str, actions: Sequence[Action] = ()) -> None:
        """An edit in place (``m.replace``): clients show the new text where the message was."""
        new = _content(f"{text}\n{PAGE_HINT}" if actions else text)
        content = {**new, "body": f"* {new['body']}", "formatted_body": f"* {new['formatted_body']}",
                   "m.new_content": new, "m.relates_to": {"rel_type": "m.replace", "event_id": message_id}}
        self._send(room_id, "m.room.message", content, "editing a message")

    def pin_message(self, *, room_id: str, message_id: str) -> None:
        pinned = self._get_state(room_id, "m.room.pinned_events", "reading the pinned messages").get("pinned")
        current = [str(p) for p in pinned] if isinstance(pinned, list) else []
        if message_id not in current:
            self._state(room_id, "m.room.pinned_events", {"pinned": [*current, message_id]}, "pinning a message")

    def send_dm(self, *, person_id: str, text: str, actions: Sequence[Action] = ()) -> Posted:
        if not MATRIX_USER.match(person_id):
            raise MatrixError(f"'{person_id}' is not a Matrix user id (like @bob:example.org).", permanent=True)
        room_id = self.direct_room(person_id)
        content = _content(f"{text}\n{PAGE_HINT}" if actions else text, "m.text")
        if actions:
            content[ALERT_FIELD] = actions[0].value
        return Posted(room_id, self._send(room_id, "m.room.message", content, "sending a direct message"))

    def direct_rooms(self) -> dict[str, list[str]]:
        """The bot's direct-message rooms by person, as its m.direct account data lists them."""
        path = f"/user/{_path(self.user_id)}/account_data/m.direct"
        direct = self.call("GET", path, "reading the direct rooms", fine=("M_NOT_FOUND",))
        return {str(person): [str(r) for r in rooms] for person, rooms in direct.items() if isinstance(rooms, list)}

    def direct_room(self, person_id: str) -> str:
        """The bot's direct-message room with the person (kept in its m.direct account data), made if none."""
        path = f"/user/{_path(self.user_id)}/account_data/m.direct"
        direct = self.direct_rooms()
        rooms = direct.get(person_id)
        if rooms:
            return rooms[-1]
        created = self.call("POST", "/createRoom", "opening a direct message", body={
            "is_direct": True, "preset": "trusted_private_chat", "invite": [person_id], "visibility": "private"})
        room_id = str(created.get("room_id", ""))
        if not room_id:
            raise MatrixError("The homeserver's createRoom answer has no room_id.")
        self.call("PUT", path, "remembering the direct room", body={**direct, person_id: [room_id]})
        return room_id

    def open_declare_form(self, *, trigger: str, form: DeclareForm, room_id: str) -> None:
        """Matrix has no forms: the room gets how to declare, with the severities and what each means."""
        lines = ["Declare an incident with `/incident declare <what is wrong> --severity <severity>`:"]
        lines += [f"• `{value}`: {meaning}" for value, _label, meaning in form.severities]
        self.post_notice(room_id=room_id, text="\n".join(lines), reply_to=trigger)
