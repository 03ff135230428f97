"""``FakeChat``, an in-memory ``warroom.ports.chat.ChatPlatform`` for tests (the Slack and Matrix adapters are
``integrations/slack/`` and ``integrations/matrix/``; what their users send is read in ``chat_inbound/``).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from warroom.ports.chat import Action, DeclareForm, Posted, Room


@dataclass(frozen=True)
class DirectMessage:
    user: str
    message: str


@dataclass
class FakeChat:
    """A chat platform that keeps what it is asked to do in memory: direct messages, posts and rooms."""

    name: str = "fake"
    sent: list[DirectMessage] = field(default_factory=list)
    posted: list[tuple[str, str]] = field(default_factory=list)  # (room id, text)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def messages_to(self, user: str) -> list[str]:
        with self._lock:
            return [dm.message for dm in self.sent if dm.user == user]

    def send_dm(self, *, person_id: str, text: str, actions: Sequence[Action] = ()) -> Posted:
        with self._lock:
            self.sent.append(DirectMessage(person_id, text))
            return Posted(room_id=f"dm-{person_id}", message_id=str(next(self._ids)))

    def post_message(self, *, room_id: str, text: str) -> Posted:
        with self._lock:
            self.posted.append((room_id, text))
            return Posted(room_id=room_id, message_id=str(next(self._ids)))

    def create_room(self, *, name: str, private: bool) -> Room:
        return Room(id=f"room-{name}", name=name)

    def rename_room(self, *, room_id: str, name: str) -> None:
        return None

    def archive_room(self, *, room_id: str) -> None:
        return None

    def restrict_room(self, *, room_id: str) -> bool:
        return True

    def set_topic(self, *, room_id: str, topic: str) -> None:
        return None

    def invite(self, *, room_id: str, people: Sequence[str]) -> None:
        return None

    def find_person(self, *, email: str) -> str | None:
        return None

    def email_of(self, *, person_id: str) -> str | None:
        return None

    def update_message(self, *, room_id: str, message_id: str, text: str, actions: Sequence[Action] = ()) -> None:
        return None

    def pin_message(self, *, room_id: str, message_id: str) -> None:
        return None

    def open_declare_form(self, *, trigger: str, form: DeclareForm, room_id: str) -> None:
        return None
