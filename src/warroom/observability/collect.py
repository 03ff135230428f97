"""Gauges read at scrape time: two aggregate queries (the job queue; open alerts and the freshest engine
heartbeat) and the connection pool's counters. A store that does not answer gives ``warroom_store_up 0`` and a
scrape that still succeeds, so Prometheus can alert on it."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool

from warroom.core.clock import Clock
from warroom.db.engine import Database
from warroom.engine.models import EngineHeartbeat, Job, JobState
from warroom.observability.metrics import REGISTRY
from warroom.oncall.alerts.models import Alert, AlertStatus


@dataclass(frozen=True)
class QueueState:
    due: int
    pending: int
    dead: int
    oldest_due: datetime | None


def queue_state(database: Database, now: datetime) -> QueueState:
    """One query over the queue's (state, due_at) index: done jobs, however many, are not read."""
    pending = Job.state == JobState.pending
    due = sa.and_(pending, Job.due_at <= now)
    query = (sa.select(sa.func.count().filter(due), sa.func.count().filter(pending),
                       sa.func.count().filter(Job.state == JobState.dead), sa.func.min(Job.due_at).filter(due))
             .where(Job.state.in_([JobState.pending, JobState.dead])))
    with database.reading() as db:
        due_count, pending_count, dead_count, oldest = db.execute(query).one()
    return QueueState(int(due_count or 0), int(pending_count or 0), int(dead_count or 0), oldest)


def open_alerts_and_last_beat(database: Database) -> tuple[int, datetime | None]:
    query = sa.select(
        sa.select(sa.func.count()).select_from(Alert).where(Alert.status == AlertStatus.open).scalar_subquery(),
        sa.select(sa.func.max(EngineHeartbeat.beat_at)).scalar_subquery())
    with database.reading() as db:
        count, beat = db.execute(query).one()
    return int(count or 0), beat


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


@dataclass(eq=False)
class StoreCollector(Collector):
    database: Database
    clock: Clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._pool()
        now = self.clock.now()
        try:
            queue = queue_state(self.database, now)
            open_alerts, beat = open_alerts_and_last_beat(self.database)
        except sa.exc.SQLAlchemyError:
            yield _gauge("warroom_store_up", "1 when the database answered this scrape.", 0)
            return
        yield _gauge("warroom_store_up", "1 when the database answered this scrape.", 1)
        yield _gauge("warroom_engine_queue_due_jobs", "Jobs due now and not yet done (the engine's backlog).",
                     queue.due)
        yield _gauge("warroom_engine_queue_pending_jobs", "Jobs not yet done, due now or later.", queue.pending)
        oldest = (now - queue.oldest_due).total_seconds() if queue.oldest_due is not None else 0.0
        yield _gauge("warroom_engine_oldest_due_job_age_seconds",
                     "How long the oldest due job has waited (0 when none is due).", max(oldest, 0.0))
        yield _gauge("warroom_engine_dead_jobs", "Jobs the engine gave up on (Admin → Jobs can retry them).",
                     queue.dead)
        yield _gauge("warroom_alerts_open", "Alerts open now (not acknowledged, not closed).", open_alerts)
        age = (now - beat).total_seconds() if beat is not None else math.inf
        yield _gauge("warroom_engine_heartbeat_age_seconds",
                     "Seconds since the freshest engine heartbeat (+Inf: no engine ever ran).", age)

    def _pool(self) -> Iterator[GaugeMetricFamily]:
        pool = self.database.engine.pool
        if not isinstance(pool, QueuePool):
            return
        yield _gauge("warroom_db_pool_size", "Connections the pool keeps open.", pool.size())
        yield _gauge("warroom_db_pool_checked_out", "Connections in use now.", pool.checkedout())
        yield _gauge("warroom_db_pool_overflow", "Connections open beyond the pool's size (negative: room left "
                     "before the pool is full).", pool.overflow())


def render(database: Database, clock: Clock) -> bytes:
    """The text exposition: what this process counted, then the gauges read from the store now."""
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(database, clock))
    return generate_latest(REGISTRY) + generate_latest(store)
