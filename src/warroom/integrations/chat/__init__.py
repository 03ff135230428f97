"""Direct messages through a chat system. Slack or Matrix adapters implement ChatAdapter.

Until one is configured, FakeChat keeps the messages in memory (tests read them) and writes them to the
log, so a default install still shows who would have been messaged.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("warroom.chat")


class ChatAdapter(Protocol):
    """Send one direct message to a person's chat handle (e.g. ``@bob``, a Slack member id).

    Raise ``warroom.core.delivery.DeliveryError`` when the chat system refuses or is unreachable
    (``permanent=True`` for an unknown user, so the engine does not retry).
    """

    def send_dm(self, user: str, message: str) -> None: ...


@dataclass(frozen=True)
class DirectMessage:
    user: str
    message: str


@dataclass
class FakeChat:
    """The default chat adapter: remembers and logs direct messages instead of sending them."""

    sent: list[DirectMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send_dm(self, user: str, message: str) -> None:
        with self._lock:
            self.sent.append(DirectMessage(user, message))
        log.info("chat DM to %s (no chat adapter configured): %s", user, message)

    def messages_to(self, user: str) -> list[str]:
        with self._lock:
            return [dm.message for dm in self.sent if dm.user == user]
