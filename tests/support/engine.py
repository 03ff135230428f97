"""Running the engine's work off in a test, as the background loop would."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from warroom.core.clock import FakeClock, SystemClock
from warroom.engine.models import Job, JobState
from warroom.runtime import Runtime


def drain(runtime: Runtime, clock: FakeClock | None = None, limit: int = 60, *, kind: str | None = None) -> None:
    """Tick a new engine until its work is done; fail if ``limit`` ticks do not do it.

    With a ``clock``: until no job is pending (of ``kind``, when given), moving the clock to each retry's due time.
    Without one: until a tick finds nothing due now (time stands still, later work stays pending).
    """
    engine = runtime.engine()
    try:
        for _ in range(limit):
            ran = engine.tick()
            if clock is None:
                if not ran:
                    return
                continue
            due = _next_due(runtime, kind)
            if due is None:
                return
            if due > clock.now():
                clock.set(due)
    finally:
        engine.close()
    raise AssertionError(f"the engine still has work after {limit} ticks")


def _next_due(runtime: Runtime, kind: str | None) -> datetime | None:
    query = sa.select(sa.func.min(Job.due_at)).where(Job.state == JobState.pending)
    if kind is not None:
        query = query.where(Job.kind == kind)
    with runtime.database.reading() as db:
        return db.scalar(query)


def wall_dated_clock() -> FakeClock:
    """A clock for tests that start real engine processes: it starts at the wall-clock time those engines run on.

    An engine's retention rounds cut off by the system clock. Rows a test dated at FakeClock's default (January
    2026) were older than the 180 days notifications are kept, so a second engine's first round could delete a
    page another engine had just recorded as sent, and the test waited for it in vain.
    """
    return FakeClock(SystemClock().now())
