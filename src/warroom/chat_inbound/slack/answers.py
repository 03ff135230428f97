"""What Warroom answers Slack, whichever way Slack's requests arrive: the HTTP routes or Socket Mode.

Each function takes a request already read (and, over HTTP, verified) and returns what Slack gets back: over
HTTP the response body, in Socket Mode the acknowledgement's payload. A request seen before (by its replay key:
the signature over HTTP, the envelope id in Socket Mode) is answered without acting again. Work Slack must see
afterwards (rooms, pinned and announced messages) is queued for the engine; a note only the person who pressed
a button should read is sent once the answer is out, and is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from warroom.chat import service as chat
from warroom.chat_inbound.dispatch import Dispatcher
from warroom.chat_inbound.slack import inbound
from warroom.core.delivery import DeliveryError
from warroom.integrations.slack import views
from warroom.integrations.slack.client import SlackPlatform
from warroom.ports.chat import CommandReceived, Reply

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger("warroom.slack")

PLATFORM = "slack"
NOT_SET_UP = Reply("Warroom's Slack app is not set up on the server yet: set WARROOM_SLACK_BOT_TOKEN.")
# Calls to Slack made while answering (opening the form, looking someone up once) give up after this long, so
# the answer still reaches Slack within its 3 seconds when Slack itself is slow.
ANSWER_TIMEOUT_SECONDS = 2
_answering: dict[tuple[str, str], SlackPlatform] = {}


@dataclass(frozen=True)
class Note:
    """A message only one person sees (chat.postEphemeral), sent after the answer."""

    room_id: str
    person_id: str
    text: str


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any] | None = None  # None: an empty 200, or an acknowledgement without a payload
    notes: tuple[Note, ...] = ()


def platform(runtime: Runtime) -> SlackPlatform | None:
    """The Slack client used while answering: short timeouts, kept for the token and API URL."""
    token, url = runtime.settings.slack_bot_token, runtime.settings.slack_api_url
    if not token:
        return None
    found = _answering.get((token, url))
    if found is None:
        found = _answering[(token, url)] = SlackPlatform(token, url, timeout=ANSWER_TIMEOUT_SECONDS)
    return found


def _dispatcher(runtime: Runtime) -> Dispatcher | None:
    slack = platform(runtime)
    if slack is None:
        return None
    return Dispatcher(runtime.database, slack, runtime.clock, runtime.chat_strangers())


def _first_time(runtime: Runtime, key: str) -> bool:
    with runtime.database.writing() as db:
        return chat.first_sight(db=db, platform=PLATFORM, event_id=key, now=runtime.clock.now())


def said(reply: Reply | None) -> Answer:
    if reply is None:
        return Answer()
    return Answer({"response_type": "ephemeral" if reply.private else "in_channel", "text": reply.text})


def command(runtime: Runtime, received: CommandReceived, replay_key: str) -> Answer:
    """A slash command: the reply (in the channel or only to the caller), or nothing when a form opened."""
    if not _first_time(runtime, replay_key):
        return said(Reply("This request was already handled."))
    dispatcher = _dispatcher(runtime)
    return said(dispatcher.command(received) if dispatcher is not None else NOT_SET_UP)


def interaction(runtime: Runtime, interacted: inbound.Interaction, replay_key: str) -> Answer:
    """The declare form submitted (the modal updates, or shows what to fix), or buttons pressed."""
    if interacted.kind == "ignored" or not _first_time(runtime, replay_key):
        return Answer()
    dispatcher = _dispatcher(runtime)
    if dispatcher is None:
        return Answer({"response_action": "errors", "errors": {"description": NOT_SET_UP.text}})
    if interacted.declare is not None:
        reply = dispatcher.declare(interacted.declare)
        if reply.errors:
            return Answer({"response_action": "errors", "errors": reply.errors})
        return Answer({"response_action": "update", "view": views.declared_modal(reply.text)})
    notes = []
    for pressed in interacted.buttons:
        trouble = dispatcher.button(pressed)
        if trouble is not None and pressed.room_id:
            notes.append(Note(pressed.room_id, pressed.person_id, trouble.text))
    return Answer(notes=tuple(notes))


def event(runtime: Runtime, received: inbound.Event) -> Answer:
    """An Events API event: the URL check's challenge, or a message, edit, deletion or reaction handled."""
    if received.kind == "challenge":
        return Answer({"challenge": received.challenge})
    dispatcher = _dispatcher(runtime) if received.kind in ("message", "edit", "delete", "reaction") else None
    if dispatcher is None:
        return Answer()
    if received.message is not None:
        typo = dispatcher.message(received.message, received.event_id)
        if typo is not None:  # only its author reads the answer (chat.postEphemeral), once Slack has its 200
            return Answer(notes=(Note(received.message.room_id, received.message.person_id, typo.text),))
    elif received.edit is not None:
        dispatcher.edited(received.edit, received.event_id)
    elif received.delete is not None:
        dispatcher.deleted(received.delete, received.event_id)
    elif received.reaction is not None:
        dispatcher.reaction(received.reaction, received.event_id)
    return Answer()


def send_notes(runtime: Runtime, notes: Sequence[Note]) -> None:
    """Send the notes of an answer already given; one Slack refuses is logged (the person can press again)."""
    slack = platform(runtime)
    for note in notes:
        if slack is None:
            return
        try:
            slack.tell(room_id=note.room_id, person_id=note.person_id, text=note.text)
        except DeliveryError as error:
            log.warning("could not tell %s in %s: %s", note.person_id, note.room_id, error)
