"""Wake live listeners (SSE) after a commit that touched their channel.

Timeline and announcement writes mark channels on the session; after the commit the broker
wakes every subscriber of those channels. Subscribers also re-read the database on a short
interval, so a change committed by another process shows up too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING = "warroom_live_channels"


def incident_channel(incident_id: int) -> str:
    return f"incident:{incident_id}"


ANNOUNCEMENTS = "announcements"


def mark(db: Session, *channels: str) -> None:
    db.info.setdefault(_PENDING, set()).update(channels)


class Broker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._closing = False

    @property
    def closing(self) -> bool:
        """The server is stopping: every live stream ends now, so it need not wait for their clients."""
        return self._closing

    def close(self) -> None:
        """End every live stream (the server is shutting down): set the flag, then wake them all to see it."""
        self._closing = True
        with self._lock:
            targets = [s for subscribers in self._subscribers.values() for s in subscribers]
        self._wake(targets)

    def reopen(self) -> None:
        """Streams may run again (a server starting in a process whose last one stopped)."""
        self._closing = False

    def subscribe(self, channel: str) -> asyncio.Event:
        waker = asyncio.Event()
        with self._lock:
            self._subscribers.setdefault(channel, set()).add((asyncio.get_running_loop(), waker))
        return waker

    def unsubscribe(self, channel: str, waker: asyncio.Event) -> None:
        with self._lock:
            subscribers = self._subscribers.get(channel, set())
            for item in [s for s in subscribers if s[1] is waker]:
                subscribers.discard(item)

    def publish(self, channels: Iterable[str]) -> None:
        with self._lock:
            targets = [s for c in channels for s in self._subscribers.get(c, ())]
        self._wake(targets)

    @staticmethod
    def _wake(targets: Iterable[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
        for loop, waker in targets:
            if not loop.is_closed():
                loop.call_soon_threadsafe(waker.set)


broker = Broker()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    channels: Any = session.info.pop(_PENDING, None)
    if channels:
        broker.publish(channels)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
