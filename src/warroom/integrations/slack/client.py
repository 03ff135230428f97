"""The Slack adapter of ``ChatPlatform``: Slack's Web API through slack_sdk's WebClient.

slack_sdk does no retrying here: a rate limit (429 + Retry-After), an outage (5xx, unreachable) or one of
Slack's transient errors becomes a retryable ``SlackError`` and the engine tries again later; anything else
(a missing scope, an unknown channel, a refused token) is permanent, with what to fix.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from warroom.core.delivery import DeliveryError
from warroom.integrations.slack import views
from warroom.ports.chat import Action, DeclareForm, Posted, Room, RoomNameTaken

log = logging.getLogger("warroom.slack")

MAX_PROFILES = 1000
# A person's own Slack id (U… or W…), as opposed to a Warroom @handle.
MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
HINTS = {
    "not_authed": "no bot token was sent; set WARROOM_SLACK_BOT_TOKEN",
    "invalid_auth": "Slack refused the bot token; check WARROOM_SLACK_BOT_TOKEN (xoxb-…)",
    "account_inactive": "the bot token belongs to a deleted app or user; reinstall the app",
    "token_revoked": "the bot token was revoked; reinstall the app and set the new token",
    "channel_not_found": "the channel does not exist or the app is not in it; invite the app (/invite @Warroom)",
    "not_in_channel": "the app is not in the channel; invite it with /invite @Warroom",
    "name_taken": "a channel with that name exists already; rename or archive it",
}


class SlackError(DeliveryError):
    def __init__(self, message: str, *, code: str = "", permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, permanent=permanent, retry_after=retry_after)
        self.code = code


def _retry_after(response: SlackResponse) -> float | None:
    headers = {str(k).lower(): v for k, v in (response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(float(value), 0.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def error_of(method: str, error: SlackApiError) -> SlackError:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error", ""))
    if status == 429 or code == "ratelimited":
        wait = _retry_after(response)
        said = f"; retrying in {int(wait)} s" if wait is not None else ""
        return SlackError(f"Slack rate-limited {method}{said}.", code="ratelimited", retry_after=wait)
    if status >= 500 or code in TRANSIENT:
        return SlackError(f"Slack is failing ({method}: HTTP {status} {code}".rstrip() + "); will retry.", code=code)
    if code == "missing_scope":
        return SlackError(f"The Slack app lacks the scope {data.get('needed', '?')} for {method}; add it in the "
                          "app's OAuth & Permissions and reinstall.", code=code, permanent=True)
    hint = HINTS.get(code, "")
    return SlackError(f"Slack refused {method}: {code or f'HTTP {status}'}" + (f" ({hint})" if hint else ""),
                      code=code, permanent=True)


@dataclass
class SlackPlatform:
    token: str
    api_url: str = "https://slack.com/api/"
    timeout: int = 10
    name: str = "slack"
    _client: WebClient | None = field(default=None, init=False, repr=False)
    # The last users.info answers, so the name of someone just looked up costs no second call.
    _profiles: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False)

    @property
    def client(self) -> WebClient:
        if self._client is None:
            base = self.api_url if self.api_url.endswith("/") else self.api_url + "/"
            self._client = WebClient(token=self.token, base_url=base, timeout=self.timeout, retry_handlers=[])
        return self._client

    def _call(self, method: str, call: Callable[[], SlackResponse], *, fine: Sequence[str] = ()) -> dict[str, Any]:
        if not self.token:
            raise SlackError("No Slack bot token is configured; set WARROOM_SLACK_BOT_TOKEN.", permanent=True)
        try:
            response = call()
        except SlackApiError as error:
            failure = error_of(method, error)
            if failure.code in fine:
                return {}
            raise failure from None
        except (OSError, ValueError) as error:  # unreachable, timed out, or an answer that is not JSON
            raise SlackError(f"Slack could not be reached for {method}: {type(error).__name__}") from error
        data = response.data
        return data if isinstance(data, dict) else {}

    def whoami(self) -> dict[str, Any]:
        """auth.test: the bot's user and workspace, when Slack accepts the token."""
        return self._call("auth.test", lambda: self.client.auth_test())

    # Rooms ---------------------------------------------------------------------------------------------

    def create_room(self, *, name: str, private: bool) -> Room:
        try:
            data = self._call("conversations.create",
                              lambda: self.client.conversations_create(name=name, is_private=private))
        except SlackError as error:
            if error.code == "name_taken":
                raise RoomNameTaken(name) from None
            raise
        channel = data.get("channel") or {}
        if not isinstance(channel, dict) or not channel.get("id"):
            raise SlackError("Slack's conversations.create answer has no channel id.")
        return Room(str(channel["id"]), str(channel.get("name", name)))

    def rename_room(self, *, room_id: str, name: str) -> None:
        try:
            self._call("conversations.rename",
                       lambda: self.client.conversations_rename(channel=room_id, name=name))
        except SlackError as error:
            if error.code == "name_taken":
                raise RoomNameTaken(name) from None
            raise

    def archive_room(self, *, room_id: str) -> None:
        self._call("conversations.archive", lambda: self.client.conversations_archive(channel=room_id),
                   fine=("already_archived",))

    def restrict_room(self, *, room_id: str) -> bool:
        """Slack's API cannot make a public channel private (only a workspace admin can convert it)."""
        return False

    def set_topic(self, *, room_id: str, topic: str) -> None:
        self._call("conversations.setTopic",
                   lambda: self.client.conversations_setTopic(channel=room_id, topic=topic[:250]))

    def invite(self, *, room_id: str, people: Sequence[str]) -> None:
        if people:
            self._call("conversations.invite",
                       lambda: self.client.conversations_invite(channel=room_id, users=list(people)),
                       fine=("already_in_channel", "cant_invite_self"))

    # People --------------------------------------------------------------------------------------------

    def is_member_id(self, address: str) -> bool:
        return MEMBER_ID.match(address) is not None

    def find_person(self, *, email: str) -> str | None:
        data = self._call("users.lookupByEmail", lambda: self.client.users_lookupByEmail(email=email),
                          fine=("users_not_found",))
        user = data.get("user")
        return str(user["id"]) if isinstance(user, dict) and user.get("id") else None

    def _user(self, person_id: str) -> dict[str, Any]:
        data = self._call("users.info", lambda: self.client.users_info(user=person_id), fine=("user_not_found",))
        user = data.get("user")
        user = user if isinstance(user, dict) else {}
        if len(self._profiles) >= MAX_PROFILES:
            self._profiles.clear()
        self._profiles[person_id] = user
        return user

    def email_of(self, *, person_id: str) -> str | None:
        user = self._user(person_id)
        if not user or user.get("deleted") or user.get("is_bot"):
            return None
        profile = user.get("profile")
        email = profile.get("email") if isinstance(profile, dict) else None
        return str(email) if email else None

    def name_of(self, *, person_id: str) -> str | None:
        """The display name (else the real name, else the username) on a Slack profile."""
        user = self._profiles.get(person_id)
        if user is None:
            user = self._user(person_id)
        profile = user.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
            if isinstance(name, str) and name.strip():
                return name.strip()[:80]
        return None

    # Messages ------------------------------------------------------------------------------------------

    def post_message(self, *, room_id: str, text: str) -> Posted:
        data = self._call("chat.postMessage",
                          lambda: self.client.chat_postMessage(channel=room_id, text=text, unfurl_links=False))
        return self._posted(data, room_id)

    def _posted(self, data: dict[str, Any], room_id: str) -> Posted:
        if not data.get("ts"):
            raise SlackError("Slack's chat.postMessage answer has no ts.")
        return Posted(str(data.get("channel") or room_id), str(data["ts"]))

    def update_message(self, *, room_id: str, message_id: str, text: str, actions: Sequence[Action] = ()) -> None:
        blocks = views.message_with_actions(text, actions)
        self._call("chat.update",
                   lambda: self.client.chat_update(channel=room_id, ts=message_id, text=text, blocks=blocks))

    def pin_message(self, *, room_id: str, message_id: str) -> None:
        self._call("pins.add", lambda: self.client.pins_add(channel=room_id, timestamp=message_id),
                   fine=("already_pinned",))

    def send_dm(self, *, person_id: str, text: str, actions: Sequence[Action] = ()) -> Posted:
        blocks = views.message_with_actions(text, actions) if actions else None
        data = self._call("chat.postMessage",
                          lambda: self.client.chat_postMessage(channel=person_id, text=text, blocks=blocks))
        return self._posted(data, person_id)

    def tell(self, *, room_id: str, person_id: str, text: str) -> None:
        """A message in the room only this person sees (chat.postEphemeral)."""
        self._call("chat.postEphemeral",
                   lambda: self.client.chat_postEphemeral(channel=room_id, user=person_id, text=text))

    def open_declare_form(self, *, trigger: str, form: DeclareForm, room_id: str) -> None:
        view = views.declare_modal(form, room_id)
        self._call("views.open", lambda: self.client.views_open(trigger_id=trigger, view=view))
