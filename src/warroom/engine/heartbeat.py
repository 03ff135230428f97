"""The engine's sign of life: each engine process keeps one row in engine_heartbeats fresh as it ticks.

/readyz and /metrics read the freshest row; when no engine has written for WARROOM_READY_ENGINE_SECONDS, no page
is going out and Warroom says it is not ready. After writing its row, the engine pings its own dead-man's switch
(WARROOM_SELF_HEARTBEAT_URL) if one is set: both happen only while the loop turns and the database takes writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from warroom.config import Settings
from warroom.core.outbound import OutboundPolicy
from warroom.db.engine import Database
from warroom.engine.models import EngineHeartbeat
from warroom.engine.runner import Engine

# How often the row is rewritten: often enough for a readiness window of 30 s or more, rare enough to cost
# nothing (one small write every few seconds, not one a tick).
BEAT_EVERY = timedelta(seconds=5)
# Rows of engines that stopped (each process has its own row) are forgotten after this long.
FORGET_AFTER = timedelta(days=1)


class Pinger(Protocol):
    """What is told after each heartbeat written (the self heartbeat)."""

    def beat(self, now: datetime) -> None: ...


@dataclass
class Heartbeat:
    owner: str
    every: timedelta = BEAT_EVERY
    pinger: Pinger | None = None
    _started: datetime | None = field(default=None, init=False)
    _last: datetime | None = field(default=None, init=False)

    def __call__(self, database: Database, now: datetime) -> None:
        if self._last is not None and now - self._last < self.every:
            return
        first = self._started is None
        self._started = self._started or now
        write(database, self.owner, self._started, now, forget_before=now - FORGET_AFTER if first else None)
        self._last = now
        if self.pinger is not None:
            self.pinger.beat(now)


def write(database: Database, owner: str, started: datetime, now: datetime, *,
          forget_before: datetime | None = None) -> None:
    with database.writing() as db:
        if forget_before is not None:
            db.execute(sa.delete(EngineHeartbeat).where(EngineHeartbeat.beat_at < forget_before))
        updated = db.execute(sa.update(EngineHeartbeat).where(EngineHeartbeat.owner == owner)
                             .values(beat_at=now, started_at=started)
                             .execution_options(synchronize_session=False))
        if not getattr(updated, "rowcount", 0):
            db.add(EngineHeartbeat(owner=owner, started_at=started, beat_at=now))


def watch(engine: Engine, settings: Settings, outbound: OutboundPolicy) -> Engine:
    """The engine with its heartbeat (on the loop that sends pages, see ``Engine.beat``), the self heartbeat when
    WARROOM_SELF_HEARTBEAT_URL is set, and retention's pruner last among the managers."""
    import warroom.observability.events  # noqa: F401  (counts pages and alerts as the engine commits them)
    from warroom.observability.retention import make_pruner
    from warroom.observability.self_heartbeat import SelfHeartbeat

    pinger = (SelfHeartbeat(settings.self_heartbeat_url, outbound, timedelta(seconds=settings.self_heartbeat_seconds),
                            settings.self_heartbeat_authorization) if settings.self_heartbeat_url else None)
    engine.beat = Heartbeat(engine.owner, pinger=pinger)
    engine.managers.append(make_pruner(settings))
    return engine
