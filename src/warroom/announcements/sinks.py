"""Where announcements go besides the feed. Chosen by settings; chat adapters add their own sink."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from warroom.ports import Webhook

log = logging.getLogger("warroom.announcements")


@dataclass(frozen=True)
class AnnouncementMessage:
    id: int
    incident_ref: str
    kind: str
    text: str
    url: str
    created_at: datetime


class AnnouncementSink(Protocol):
    name: str

    def post(self, message: AnnouncementMessage, now: datetime) -> None: ...


@runtime_checkable
class RefreshingSink(Protocol):
    """A sink that keeps copies of an incident up to date in place (a chat room), told of unannounced changes."""

    def refresh(self, incident_id: int, key: str, now: datetime) -> None: ...


@dataclass
class LogSink:
    """The default: the feed page is the announcement channel; this also writes the log."""

    name: str = "log"

    def post(self, message: AnnouncementMessage, now: datetime) -> None:
        log.info("announcement %s: %s", message.id, message.text)


@dataclass
class WebhookSink:
    sender: Webhook
    name: str = "webhook"

    def post(self, message: AnnouncementMessage, now: datetime) -> None:
        # Signed with the time of sending: receivers reject signatures older than a few minutes.
        self.sender.send(
            message_id=f"announcement-{message.id}",
            payload={"type": f"incident.{message.kind}", "incident": message.incident_ref,
                     "text": message.text, "url": message.url, "created_at": message.created_at.isoformat()},
            at=now,
        )
