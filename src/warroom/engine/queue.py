"""The durable job queue: enqueue in the caller's transaction; claim under a lease.

On PostgreSQL, claims use ``FOR UPDATE SKIP LOCKED`` so several engine processes share work.
On SQLite the write transaction (BEGIN IMMEDIATE) serialises claims.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from warroom.core.errors import Conflict, NotFound
from warroom.db import pending
from warroom.db.memo import held, memo
from warroom.engine.models import Job, JobState
from warroom.live import notify

LEASE = timedelta(seconds=60)
MAX_BACKOFF = timedelta(minutes=30)

# Set when a transaction that enqueued jobs commits, so an idle engine wakes at once instead of at its next
# tick: in this process directly, in every other process on the same PostgreSQL through LISTEN/NOTIFY.
_work_arrived = threading.Event()
JOBS = "jobs"  # the notify topic of a commit that enqueued jobs
_ENQUEUED = "jobs enqueued"  # the transaction memo counting them


@notify.on_topic
def _committed(topic: str) -> None:
    if topic in (JOBS, notify.EVERYTHING):
        _work_arrived.set()


def wake() -> None:
    """Wake this process's idle engine now: a job arrived that no commit here told of (another process's)."""
    _work_arrived.set()


def wait_for_work(timeout: float) -> None:
    """Sleep until the next tick, or until a commit (here or in another process on PostgreSQL) adds a job."""
    _work_arrived.wait(timeout)
    _work_arrived.clear()


def enqueue(
    *,
    db: Session,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    due_at: datetime,
    max_attempts: int = 8,
) -> None:
    """Queue a job in the caller's transaction. It is written with the flush's other new jobs by one INSERT, so
    it is known by its idempotency key, not an id (see ``warroom.db.pending``)."""
    pending.add(db, Job, kind=kind, payload=payload, idempotency_key=idempotency_key, due_at=due_at,
                max_attempts=max_attempts, created_at=due_at)
    notify.mark(db, JOBS)
    counted = memo(db, _ENQUEUED)
    counted["jobs"] = counted.get("jobs", 0) + 1


def enqueued(db: Session) -> int:
    """How many jobs this transaction has enqueued since its memos began (a savepoint rolled back drops them, and
    so this count): two readings that differ mean jobs were enqueued between them."""
    counted = held(db, _ENQUEUED)
    return int(counted.get("jobs", 0)) if counted else 0


# Built once: the engine claims and completes on every tick.
_DUE = (
    sa.select(Job)
    .where(
        Job.state == JobState.pending,
        Job.due_at <= sa.bindparam("now"),
        sa.or_(Job.lease_until.is_(None), Job.lease_until <= sa.bindparam("now")),
    )
    .order_by(Job.due_at, Job.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .with_for_update(skip_locked=True)
)
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
_LEASE = (
    sa.update(Job).where(Job.id.in_(_IDS))
    .values(lease_owner=sa.bindparam("owner", type_=Job.__table__.c.lease_owner.type),
            lease_until=sa.bindparam("until", type_=Job.__table__.c.lease_until.type), attempts=Job.attempts + 1)
)
_COMPLETE = (
    sa.update(Job).where(Job.id.in_(_IDS))
    .values(state=JobState.done, finished_at=sa.bindparam("now", type_=Job.__table__.c.finished_at.type),
            lease_owner=None, lease_until=None, last_error="")
)


def claim(*, db: Session, now: datetime, owner: str, limit: int = 50, lease: timedelta = LEASE) -> list[Job]:
    """Take due jobs whose lease is free or has lapsed (its engine died mid-send).

    The lease is written by one statement on the connection, and set on the loaded jobs as their committed
    state (the rows are locked, or on SQLite the database is, so ``attempts + 1`` is what the row now holds).
    """
    jobs = list(db.scalars(_DUE, {"now": now, "limit": limit}))
    if not jobs:
        return jobs
    until = now + lease
    db.connection().execute(_LEASE, {"ids": [job.id for job in jobs], "owner": owner, "until": until})
    for job in jobs:
        set_committed_value(job, "lease_owner", owner)
        set_committed_value(job, "lease_until", until)
        set_committed_value(job, "attempts", job.attempts + 1)
    return jobs


def complete_many(*, db: Session, job_ids: Sequence[int], now: datetime) -> None:
    """Mark these jobs done: one statement on the connection (no job is loaded in a recording session; the
    claiming session's jobs are detached right after)."""
    if job_ids:
        db.connection().execute(_COMPLETE, {"ids": list(job_ids), "now": now})


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    if retry_after is not None:
        return min(timedelta(seconds=max(retry_after, 0.0)), MAX_BACKOFF)
    base = timedelta(seconds=2 ** min(attempts, 20))
    return min(base + timedelta(seconds=random.uniform(0, 1)), MAX_BACKOFF)


def fail(
    *, db: Session, job_id: int, now: datetime, error: str, permanent: bool, retry_after: float | None = None
) -> bool:
    """Record a failure; retry later with backoff, or give up. Returns True when the job is now dead."""
    job = db.get(Job, job_id)
    if job is None:
        return False
    job.last_error = error[:2000]
    job.lease_owner = None
    job.lease_until = None
    if permanent or job.attempts >= job.max_attempts:
        job.state = JobState.dead
        job.finished_at = now
        return True
    job.due_at = now + backoff(job.attempts, retry_after)
    return False


def dead_letters(*, db: Session, limit: int = 100) -> list[Job]:
    query = sa.select(Job).where(Job.state == JobState.dead).order_by(Job.id.desc()).limit(limit)
    return list(db.scalars(query))


def retry_dead(*, db: Session, job_id: int, now: datetime) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job #{job_id}.", field="job")
    if job.state is not JobState.dead:
        raise Conflict(f"Job #{job_id} is {job.state.value}, not dead; only dead jobs are retried.")
    job.state = JobState.pending
    job.attempts = 0
    job.due_at = now
    job.finished_at = None
    return job
