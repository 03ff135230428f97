"""The bot's /sync loop: what happens in Matrix, read into the chat layer's events and dispatched.

The loop long-polls /sync and stores each ``next_batch`` once its events are handled, so a restart resumes where
it stopped; an event seen twice (a crash between handling and storing) is recognised by its id in chat_events.
The first start takes the position only, so the rooms' history is never replayed.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from warroom.chat import pages
from warroom.chat import service as chat
from warroom.chat_inbound.dispatch import Dispatcher
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.db.engine import Database
from warroom.integrations.matrix.client import ALERT_FIELD, PAGE_HINT, MatrixPlatform
from warroom.integrations.matrix.models import MatrixSyncPosition
from warroom.integrations.matrix.registration import MATRIX
from warroom.ports.chat import (
    ButtonPressed,
    CommandReceived,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    Reply,
)

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger("warroom.matrix")

COMMANDS = ("!incident", "!genie")
PIN_REACTIONS = {"📌": "pushpin", "📍": "round_pushpin"}
ACK_REACTIONS = ("👍", "✅")
REPLY_WORDS = {"ack": pages.ACKNOWLEDGE, "acknowledge": pages.ACKNOWLEDGE, "escalate": pages.ESCALATE,
               "close": pages.CLOSE}


TIMELINE_LIMIT = 100
MAX_BACKFILL = 2000  # events fetched for one room whose timeline the homeserver cut short


def sync_filter(start: str, limit: int = TIMELINE_LIMIT) -> str:
    """The /sync filter: timelines only. It names this start of the listener, because the homeserver answers an
    identical request from a short-lived cache, which would hand a fresh start another start's position."""
    return json.dumps({
        "presence": {"types": []}, "account_data": {"types": []},
        "room": {"timeline": {"limit": limit, "not_types": [f"org.warroom.start.{start}"]},
                 "state": {"lazy_load_members": True}, "ephemeral": {"types": []}, "account_data": {"types": []}},
    })

LONG_POLL_MS = 30_000
MAX_BACKOFF = 60.0


def own_text(body: str) -> str:
    """A message's own words, without the quoted fallback that replies carry."""
    lines = body.splitlines()
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).strip()


def _relation(content: dict[str, Any]) -> dict[str, Any]:
    relates = content.get("m.relates_to")
    return relates if isinstance(relates, dict) else {}


@dataclass
class MatrixListener:
    database: Database
    platform: MatrixPlatform
    clock: Clock
    timeline_limit: int = TIMELINE_LIMIT
    _dispatcher: Dispatcher | None = field(default=None, init=False, repr=False)
    _filter: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        self._filter = sync_filter(uuid.uuid4().hex, self.timeline_limit)

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self.database, self.platform, self.clock, command_sign="!")
        return self._dispatcher

    # Position ------------------------------------------------------------------------------------------

    def position(self) -> str | None:
        with self.database.reading() as db:
            stored = db.get(MatrixSyncPosition, self.platform.user_id)
            return stored.next_batch if stored is not None else None

    def _keep_position(self, next_batch: str) -> None:
        with self.database.writing() as db:
            stored = db.get(MatrixSyncPosition, self.platform.user_id)
            if stored is None:
                db.add(MatrixSyncPosition(account=self.platform.user_id, next_batch=next_batch,
                                          updated_at=self.clock.now()))
            else:
                stored.next_batch, stored.updated_at = next_batch, self.clock.now()

    # The loop ------------------------------------------------------------------------------------------

    def sync_once(self, timeout_ms: int = LONG_POLL_MS) -> int:
        """One /sync: join rooms the bot is invited to, handle new timeline events; returns how many."""
        since = self.position()
        params = {"filter": self._filter, "timeout": str(timeout_ms if since else 0)}
        if since:
            params["since"] = since
        data = self.platform.call("GET", "/sync", "syncing", params=params, timeout=timeout_ms / 1000 + 30)
        next_batch = data.get("next_batch")
        if not isinstance(next_batch, str) or not next_batch:
            raise DeliveryError("The homeserver's /sync answer has no next_batch.")
        rooms = data.get("rooms") if isinstance(data.get("rooms"), dict) else {}
        assert isinstance(rooms, dict)
        for room_id in rooms.get("invite") or {}:
            self._accept(str(room_id))
        handled = 0
        if since:
            for room_id, room in (rooms.get("join") or {}).items():
                for event in self._timeline(str(room_id), room, since):
                    handled += self.handle(str(room_id), event)
        self._keep_position(next_batch)
        return handled

    def _timeline(self, room_id: str, room: Any, since: str) -> list[dict[str, Any]]:
        """A room's new events, oldest first; when the homeserver cut the timeline short ("limited"), the ones
        it left out are paged in from /messages first, back to the last position."""
        timeline = room.get("timeline") if isinstance(room, dict) else None
        if not isinstance(timeline, dict):
            return []
        events = [e for e in timeline.get("events") or [] if isinstance(e, dict)]
        prev_batch = timeline.get("prev_batch")
        if timeline.get("limited") and isinstance(prev_batch, str) and prev_batch:
            events = self._missed(room_id, prev_batch, since) + events
        return events

    def _missed(self, room_id: str, token: str, since: str) -> list[dict[str, Any]]:
        missed: list[dict[str, Any]] = []
        while len(missed) < MAX_BACKFILL:
            data = self.platform.call("GET", f"/rooms/{quote(room_id, safe='')}/messages", "reading missed events",
                                      params={"dir": "b", "from": token, "to": since, "limit": "100"})
            chunk = [e for e in data.get("chunk") or [] if isinstance(e, dict)]
            missed.extend(chunk)
            end = data.get("end")
            if not chunk or not isinstance(end, str) or end == token:
                break
            token = end
        if len(missed) >= MAX_BACKFILL:
            log.warning("more than %d events missed in %s; the oldest are not read", MAX_BACKFILL, room_id)
        return list(reversed(missed))

    def _accept(self, room_id: str) -> None:
        try:
            self.platform.joined_room(room_id)
        except DeliveryError as error:
            log.warning("could not join %s: %s", room_id, error)

    def run(self, stop: threading.Event, timeout_ms: int = LONG_POLL_MS) -> None:
        """Sync until ``stop`` is set; an outage or a rate limit waits (growing up to a minute) and goes on."""
        backoff = 1.0
        while not stop.is_set():
            try:
                self.sync_once(timeout_ms)
                backoff = 1.0
            except DeliveryError as error:
                wait = error.retry_after if error.retry_after is not None else (
                    MAX_BACKOFF if error.permanent else backoff)
                log.warning("Matrix sync failed (%s); trying again in %.0f s", error, wait)
                backoff = min(backoff * 2, MAX_BACKOFF)
                stop.wait(wait)
            except Exception:  # the listener outlives any one failure; the next sync starts from the position
                log.exception("Matrix sync failed; trying again in %.0f s", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)

    # Events --------------------------------------------------------------------------------------------

    def handle(self, room_id: str, event: dict[str, Any]) -> int:
        """Dispatch one timeline event; 1 when it was one Warroom reads, else 0."""
        sender, event_id, kind = event.get("sender"), event.get("event_id"), event.get("type")
        content = event.get("content")
        if (not isinstance(sender, str) or not isinstance(event_id, str) or sender == self.platform.user_id
                or not isinstance(content, dict)):
            return 0
        try:
            if kind == "m.room.message":
                return self._message(room_id, sender, event_id, content)
            if kind == "m.reaction":
                return self._reaction(room_id, sender, event_id, content)
            if kind == "m.room.redaction":
                redacts = event.get("redacts") or content.get("redacts")
                if isinstance(redacts, str):
                    self.dispatcher.deleted(MessageDeleted(sender, room_id, redacts), event_id)
                    return 1
        except DeliveryError as error:
            log.warning("Matrix event %s in %s not handled: %s", event_id, room_id, error)
        return 0

    def _message(self, room_id: str, sender: str, event_id: str, content: dict[str, Any]) -> int:
        relates = _relation(content)
        if relates.get("rel_type") == "m.replace" and isinstance(relates.get("event_id"), str):
            new = content.get("m.new_content")
            text = new.get("body") if isinstance(new, dict) else None
            if isinstance(text, str):
                self.dispatcher.edited(MessageEdited(sender, room_id, relates["event_id"], text), event_id)
                return 1
            return 0
        if content.get("msgtype") not in ("m.text", "m.emote") or not isinstance(content.get("body"), str):
            return 0
        text = own_text(content["body"])
        words = text.split()
        first = words[0].lower() if words else ""
        if first in COMMANDS:
            self._command(room_id, sender, event_id, first, text[len(words[0]):].strip())
            return 1
        replied = relates.get("m.in_reply_to")
        target = replied.get("event_id") if isinstance(replied, dict) else None
        word = first.strip(".!")
        if (isinstance(target, str) and len(words) == 1 and word in REPLY_WORDS
                and self._press(room_id, sender, event_id, target, REPLY_WORDS[word])):
            return 1
        typo = self.dispatcher.message(MessagePosted(sender, room_id, event_id, text), event_id)
        if typo is not None:  # Matrix has no message only one person sees: the answer replies to the line
            self._answer(room_id, sender, event_id, Reply(typo.text, private=False))
        return 1

    def _reaction(self, room_id: str, sender: str, event_id: str, content: dict[str, Any]) -> int:
        relates = _relation(content)
        key, target = relates.get("key"), relates.get("event_id")
        if relates.get("rel_type") != "m.annotation" or not isinstance(key, str) or not isinstance(target, str):
            return 0
        if key.startswith(ACK_REACTIONS) and self._press(room_id, sender, event_id, target, pages.ACKNOWLEDGE):
            return 1
        pin = PIN_REACTIONS.get(key.replace("\ufe0f", ""))
        if pin is None:
            return 0
        self.dispatcher.reaction(ReactionAdded(sender, room_id, target, pin), event_id)
        return 1

    def _first_sight(self, event_id: str) -> bool:
        with self.database.writing() as db:
            return chat.first_sight(db=db, platform=self.platform.name, event_id=event_id, now=self.clock.now())

    def _command(self, room_id: str, sender: str, event_id: str, command: str, text: str) -> None:
        if not self._first_sight(event_id):
            return
        reply = self.dispatcher.command(CommandReceived(sender, room_id, "/" + command[1:], text, event_id))
        if reply is not None:
            self._answer(room_id, sender, event_id, reply)

    def _answer(self, room_id: str, sender: str, event_id: str, reply: Reply) -> None:
        """A public reply answers in the room; a private one in the person's direct room with the bot."""
        try:
            if reply.private and not self._is_direct(room_id, sender):
                self.platform.post_notice(room_id=self.platform.direct_room(sender), text=reply.text)
            else:
                self.platform.post_notice(room_id=room_id, text=reply.text, reply_to=event_id)
        except DeliveryError as error:
            log.warning("could not answer %s in %s: %s", sender, room_id, error)

    def _is_direct(self, room_id: str, sender: str) -> bool:
        return room_id in self.platform.direct_rooms().get(sender, [])

    def _press(self, room_id: str, sender: str, event_id: str, target: str, action: str) -> bool:
        """A reaction or a reply to a page acts on its alert; False when the target is not a page."""
        page = self.platform.event(room_id=room_id, event_id=target)
        content = page.get("content")
        if page.get("sender") != self.platform.user_id or not isinstance(content, dict):
            return False
        alert = content.get(ALERT_FIELD)
        if not isinstance(alert, str) or not self._first_sight(event_id):
            return isinstance(alert, str)
        refused = self.dispatcher.button(ButtonPressed(sender, action, alert, room_id, target, _page_text(page)))
        if refused is not None:  # acted: the page is edited to say so; else say why not
            self._answer(room_id, sender, event_id, Reply(refused.text, private=False))
        return True


def _page_text(page: dict[str, Any]) -> str:
    """The page as it reads now (its latest edit, when the homeserver bundles it), without the how-to line."""
    content = page.get("content") if isinstance(page.get("content"), dict) else {}
    assert isinstance(content, dict)
    unsigned = page.get("unsigned") if isinstance(page.get("unsigned"), dict) else {}
    assert isinstance(unsigned, dict)
    relations = unsigned.get("m.relations")
    edit = relations.get("m.replace") if isinstance(relations, dict) else None
    newest = edit.get("content", {}).get("m.new_content") if isinstance(edit, dict) else None
    body = (newest if isinstance(newest, dict) else content).get("body", "")
    lines = [line for line in str(body).splitlines() if line.strip() != PAGE_HINT]
    return "\n".join(lines)


@contextmanager
def listening(listener: MatrixListener | None, poll_ms: int = LONG_POLL_MS) -> Iterator[threading.Thread | None]:
    """For `warroom serve`: the /sync loop in a thread while the server runs (it ends within one long poll)."""
    if listener is None:
        yield None
        return
    stop = threading.Event()
    thread = threading.Thread(target=listener.run, args=(stop, poll_ms), name="warroom-matrix", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=5)


def matrix_listening(runtime: Runtime, poll_ms: int = LONG_POLL_MS) -> AbstractContextManager[threading.Thread | None]:
    """The listener inside `warroom serve`, when Matrix is configured and WARROOM_MATRIX_LISTEN_IN_SERVE is on."""
    platform = runtime.chat_platform(MATRIX.name, MatrixPlatform) if runtime.settings.matrix_listen_in_serve else None
    if platform is None or not platform.user_id:
        return listening(None)
    return listening(MatrixListener(runtime.database, platform, runtime.clock), poll_ms)
