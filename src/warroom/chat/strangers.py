"""Chat people Warroom found no user for lately, remembered in memory for a while.

Without it every message from someone who is not (yet) a Warroom user would ask the platform who they are
again. A manual link (``warroom slack link``) is read before this memory and so counts at once; a Warroom
user created later with the person's email is found once the memory of them lapses (``FORGET_AFTER``).
Each process keeps its own memory, and a restart forgets it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FORGET_AFTER = timedelta(minutes=10)
MAX_REMEMBERED = 10_000


@dataclass(frozen=True)
class Stranger:
    name: str  # as the platform shows them; their id when it would not say
    seen_at: datetime


@dataclass
class Strangers:
    forget_after: timedelta = FORGET_AFTER
    _known: dict[tuple[str, str], Stranger] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def recall(self, platform: str, person_id: str, now: datetime) -> Stranger | None:
        with self._lock:
            stranger = self._known.get((platform, person_id))
            if stranger is not None and now - stranger.seen_at >= self.forget_after:
                del self._known[(platform, person_id)]
                return None
            return stranger

    def remember(self, platform: str, person_id: str, name: str, now: datetime) -> Stranger:
        stranger = Stranger(name or person_id, now)
        with self._lock:
            if len(self._known) >= MAX_REMEMBERED:
                self._known.clear()
            self._known[(platform, person_id)] = stranger
        return stranger
