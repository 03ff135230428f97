"""Wake live listeners (SSE) after a commit that touched their channel.

Timeline and announcement writes mark channels on the session; after the commit the broker
wakes every subscriber of those channels, in this process at once and, on PostgreSQL, in every
other process through LISTEN/NOTIFY (warroom.live.notify). Subscribers also re-read the database
on a short interval, so a change still arrives when no notification does (SQLite, a lost connection).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

from sqlalchemy.orm import Session

from warroom.live import notify

LIVE = "live:"  # the prefix of a live channel's notify topic


def incident_channel(incident_id: int) -> str:
    return f"incident:{incident_id}"


ANNOUNCEMENTS = "announcements"


def mark(db: Session, *channels: str) -> None:
    notify.mark(db, *(LIVE + channel for channel in channels))


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
        self.wake_all()

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

    def wake_all(self) -> None:
        """Every stream reads again (what changed while notifications were missed is not known)."""
        with self._lock:
            targets = [s for subscribers in self._subscribers.values() for s in subscribers]
        self._wake(targets)

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


@notify.on_topic
def _committed(topic: str) -> None:
    if topic.startswith(LIVE):
        broker.publish([topic[len(LIVE):]])
    elif topic == notify.EVERYTHING:
        broker.wake_all()
