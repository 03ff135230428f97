"""Retention: records that grow for ever (finished jobs, Opsgenie request statuses, notifications, GitHub
deliveries, reported changes, and the audit log and closed incidents when an admin sets it) are deleted once
older than their setting, in batches.

Each batch is its own short transaction, so ingest and the engine's own work go on between batches: on SQLite
a writer waits for one batch at most, never for the whole prune. Closed incidents go only when an admin sets
WARROOM_RETENTION_INCIDENTS_DAYS (at least 365); alerts are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from warroom.audit.models import AuditEntry
from warroom.config import Settings
from warroom.db.engine import Database
from warroom.engine.models import Job, JobState
from warroom.followups.models import GithubDelivery
from warroom.incidents.models import Incident, Status
from warroom.notifications.models import DeliveryStatus, Notification
from warroom.observability import metrics
from warroom.oncall.alerts.models import AlertRequest
from warroom.oncall.changes.models import ChangeEvent

BATCH = 2000
# How long one engine tick may spend pruning before the rest waits for the next tick.
TICK_BUDGET_SECONDS = 0.5
EVERY = timedelta(minutes=5)

Condition = Callable[[datetime], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class Record:
    """One kind of record retention deletes: its table's key, and which rows are old enough at a cutoff."""

    name: str
    key: InstrumentedAttribute[int] | InstrumentedAttribute[str]
    old: Condition
    batch: int = BATCH  # fewer for rows whose deletion cascades to many others


RECORDS = {
    # Done jobs only: dead ones wait for an admin (Admin → Jobs), pending ones are work.
    "jobs": Record("jobs", Job.id, lambda cutoff: sa.and_(
        Job.state == JobState.done, Job.due_at < cutoff, Job.finished_at < cutoff)),
    "alert_requests": Record("alert_requests", AlertRequest.id, lambda cutoff: AlertRequest.created_at < cutoff),
    "notifications": Record("notifications", Notification.id, lambda cutoff: sa.and_(
        Notification.status != DeliveryStatus.queued, Notification.created_at < cutoff)),
    "deliveries": Record("deliveries", GithubDelivery.delivery_id,
                         lambda cutoff: GithubDelivery.received_at < cutoff),
    "audit": Record("audit", AuditEntry.id, lambda cutoff: AuditEntry.at < cutoff),
    # By when they arrived: the time a tool says a change happened is the tool's to set.
    "change_events": Record("change_events", ChangeEvent.id, lambda cutoff: ChangeEvent.received_at < cutoff),
    # Closed incidents with everything that is theirs (timeline, roles, checklist, postmortem, room …: the
    # foreign keys cascade); alerts and notifications that named one keep their rows. The newest incident is
    # never deleted, so its number is never given again (SQLite reuses the highest id once it is gone).
    "incidents": Record("incidents", Incident.id, lambda cutoff: sa.and_(
        Incident.status == Status.closed, Incident.closed_at < cutoff,
        Incident.id < sa.select(sa.func.max(Incident.id)).scalar_subquery()), batch=50),
}


def kept_days(settings: Settings) -> dict[str, int]:
    """Days each record is kept, for the records with a retention set (0 keeps them for ever)."""
    return {name: days for name in RECORDS if (days := int(getattr(settings, f"retention_{name}_days"))) > 0}


def prune_batch(database: Database, record: Record, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to ``batch`` rows older than the cutoff, in one transaction; returns how many went."""
    table = record.key.class_
    chosen = sa.select(record.key).where(record.old(cutoff)).limit(batch).scalar_subquery()
    with database.writing() as db:
        result = db.execute(sa.delete(table).where(record.key.in_(chosen))
                            .execution_options(synchronize_session=False))
    deleted = int(getattr(result, "rowcount", 0) or 0)
    if deleted:
        metrics.pruned_rows.labels(record=record.name).inc(deleted)
    return deleted


@dataclass
class Pruner:
    """An engine manager: every EVERY, prunes each record in batches within a time budget per tick; what the
    budget leaves is pruned on the following ticks, so a backlog of a million rows never stalls the engine."""

    days: dict[str, int]
    every: timedelta = EVERY
    budget: float = TICK_BUDGET_SECONDS
    batch: int = BATCH
    _next: datetime | None = field(default=None, init=False)
    _behind: set[str] = field(default_factory=set, init=False)

    @property
    def busy(self) -> bool:
        """A round is under way: some record still has rows past its cutoff."""
        return bool(self._behind)

    def __call__(self, database: Database, now: datetime) -> None:
        if not self.days or (not self._behind and self._next is not None and now < self._next):
            return
        if not self._behind:
            self._next = now + self.every
            self._behind = set(self.days)
        deadline = time.monotonic() + self.budget
        for name in sorted(self._behind):
            cutoff = now - timedelta(days=self.days[name])
            batch = min(self.batch, RECORDS[name].batch)
            while prune_batch(database, RECORDS[name], cutoff, batch) == batch:
                if time.monotonic() >= deadline:
                    return  # out of time: the next tick goes on where this one stopped
            self._behind.discard(name)


def make_pruner(settings: Settings) -> Pruner:
    return Pruner(kept_days(settings))
