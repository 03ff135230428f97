"""What Warroom needs from a chat platform, and what a platform tells Warroom.

Flows and the engine speak only to ``ChatPlatform``; each adapter (Slack, …) translates to its wire format.
Inbound requests become the plain events below, which ``dispatch`` turns into the command language and flows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from warroom.config import Settings
from warroom.core.delivery import DeliveryError


@dataclass(frozen=True)
class Room:
    id: str
    name: str


@dataclass(frozen=True)
class Posted:
    """A posted message: the room it landed in (by id, even when posted by name) and its id there."""

    room_id: str
    message_id: str


@dataclass(frozen=True)
class Action:
    """A button under a message: ``action`` names what it does, ``value`` what it acts on."""

    action: str
    label: str
    value: str
    style: str = ""  # "", "primary" or "danger"


@dataclass(frozen=True)
class DeclareForm:
    """The declare form as a platform shows it: severities with the handbook's meaning beside each."""

    severities: Sequence[tuple[str, str, str]]  # (value, label, meaning)


class ChatPlatform(Protocol):
    """One chat workspace. Methods raise ``warroom.core.delivery.DeliveryError`` when the platform refuses
    (``permanent=True``) or is unreachable or rate-limited (retried by the engine, honouring ``retry_after``)."""

    name: str

    def create_room(self, *, name: str, private: bool) -> Room: ...

    def rename_room(self, *, room_id: str, name: str) -> None: ...

    def archive_room(self, *, room_id: str) -> None: ...

    def restrict_room(self, *, room_id: str) -> bool:
        """Close a public room to newcomers in place; False where the platform cannot (then the incident moves
        to a new private room)."""
        ...

    def set_topic(self, *, room_id: str, topic: str) -> None: ...

    def invite(self, *, room_id: str, people: Sequence[str]) -> None: ...

    def find_person(self, *, email: str) -> str | None:
        """The platform's id of the person with this email address, or None when nobody has it."""
        ...

    def email_of(self, *, person_id: str) -> str | None:
        """The email address on a platform person's profile, or None when it is hidden or unknown."""
        ...

    def post_message(self, *, room_id: str, text: str) -> Posted:
        """Post; the answer carries the ids needed to update or pin the message later."""
        ...

    def update_message(self, *, room_id: str, message_id: str, text: str, actions: Sequence[Action] = ()) -> None:
        """Replace the message's text (and its buttons: none unless given)."""
        ...

    def pin_message(self, *, room_id: str, message_id: str) -> None: ...

    def send_dm(self, *, person_id: str, text: str, actions: Sequence[Action] = ()) -> Posted: ...

    def open_declare_form(self, *, trigger: str, form: DeclareForm, room_id: str) -> None: ...


# How a job reaches a platform: None while it is not configured (switched off since the job was queued).
PlatformFactory = Callable[[], ChatPlatform | None]


@dataclass(frozen=True)
class ChatRegistration:
    """A chat platform as its package declares it to the composition root (``runtime.py``).

    ``name`` is its settings name, the one its rooms, linked people and queued jobs carry (the adapter's
    ``name``); ``connect`` makes the adapter from settings, or None while its settings are not filled in (it
    is called once, on first use); ``announce_room`` reads the setting naming the room it announces in.
    """

    name: str
    connect: Callable[[Settings], ChatPlatform | None]
    announce_room: Callable[[Settings], str]


class RoomNameTaken(DeliveryError):
    """The platform already has a room by that name (another app's, or one archived long ago)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A room named '{name}' exists already.", permanent=True)


@runtime_checkable
class KnowsMemberIds(Protocol):
    """A platform whose own person ids can be told from a Warroom @handle (a chat page's address may be
    either)."""

    def is_member_id(self, address: str) -> bool: ...


@runtime_checkable
class NamesPeople(Protocol):
    """A platform that can say what a person is called (for people who are no Warroom user)."""

    def name_of(self, *, person_id: str) -> str | None: ...


# Inbound events ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandReceived:
    """``/incident …`` or ``/genie …`` typed in a room; ``trigger`` lets the reply open a form."""

    person_id: str
    room_id: str
    command: str  # "/incident" or "/genie"
    text: str
    trigger: str = ""


@dataclass(frozen=True)
class MessagePosted:
    person_id: str
    room_id: str
    message_id: str
    text: str


@dataclass(frozen=True)
class MessageEdited:
    person_id: str
    room_id: str
    message_id: str
    text: str


@dataclass(frozen=True)
class MessageDeleted:
    person_id: str  # the author of the deleted message
    room_id: str
    message_id: str


@dataclass(frozen=True)
class ReactionAdded:
    person_id: str
    room_id: str
    message_id: str
    reaction: str


@dataclass(frozen=True)
class ButtonPressed:
    person_id: str
    action: str
    value: str
    room_id: str = ""
    message_id: str = ""
    message_text: str = ""  # the message the button is under, as it reads now


@dataclass(frozen=True)
class DeclareSubmitted:
    """The declare form, filled in."""

    person_id: str
    description: str
    severity: str
    customer_impact: bool = False
    security: bool = False
    room_id: str = ""


@dataclass(frozen=True)
class Reply:
    """What Warroom answers in chat: ``private`` replies are shown only to the person who asked."""

    text: str
    private: bool = True
    errors: dict[str, str] = field(default_factory=dict)  # form field → what to fix
