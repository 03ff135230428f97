"""New rows nobody reads back by their object (timeline lines, queued notifications, jobs) are written by one
INSERT per table at each flush, instead of one per row: what the rest of the code sees must not change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.core.actor import Actor
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.observability import events as counting  # noqa: F401  (counts what commits, as the app does)
from warroom.observability import metrics
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.events import record_event
from warroom.oncall.alerts.models import AlertEvent
from warroom.oncall.alerts.service import AlertSpec
from warroom.oncall.schedules import service as schedules

from .. import support


@contextmanager
def inserts(runtime) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The tables INSERT statements sent while the block runs wrote to (one entry per statement, an executemany
    included)."""
    tables: list[str] = []
    with support.statements(runtime) as sent:
        yield tables
    tables.extend(statement.split("(")[0].split()[-1] for statement in sent if statement.upper().startswith("INSERT"))


def _alert(runtime, clock, n: int) -> int:  # type: ignore[no-untyped-def]
    with runtime.database.writing() as db:
        return alerts.raise_alert(db=db, actor=Actor.system(clock), spec=AlertSpec(message=f"Alert {n}")).alert_id


def test_the_timeline_lines_of_a_transaction_are_one_insert_in_the_order_they_were_added(runtime, clock):
    alert_ids = [_alert(runtime, clock, n) for n in range(3)]
    with inserts(runtime) as seen, runtime.database.writing() as db:
        for n in range(5):
            for alert_id in alert_ids:
                record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body=f"line {n}")
    assert seen == ["alert_events"]
    with runtime.database.reading() as db:
        lines = db.execute(sa.select(AlertEvent.alert_id, AlertEvent.body).where(AlertEvent.kind == "note")
                           .order_by(AlertEvent.id)).all()
    assert lines == [(alert_id, f"line {n}") for n in range(5) for alert_id in alert_ids]


def test_a_query_after_them_in_the_same_transaction_sees_them(runtime, clock):
    alert_id = _alert(runtime, clock, 1)
    with runtime.database.writing() as db:
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="seen at once")
        found = db.scalars(sa.select(AlertEvent.body).where(AlertEvent.alert_id == alert_id,
                                                            AlertEvent.kind == "note")).all()
        assert found == ["seen at once"]
        assert not db.new  # written, and let go of


def test_a_savepoint_rolled_back_drops_its_rows_and_keeps_the_earlier_ones(runtime, clock):
    alert_id = _alert(runtime, clock, 1)
    with runtime.database.writing() as db:
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="kept")
        savepoint = db.begin_nested()
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="dropped")
        queue.enqueue(db=db, kind="test", payload={}, idempotency_key="dropped-job", due_at=clock.now())
        savepoint.rollback()
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="also kept")
    with runtime.database.reading() as db:
        bodies = db.scalars(sa.select(AlertEvent.body).where(AlertEvent.alert_id == alert_id,
                                                             AlertEvent.kind == "note").order_by(AlertEvent.id))
        assert list(bodies) == ["kept", "also kept"]
        assert db.scalar(sa.select(Job.id).where(Job.idempotency_key == "dropped-job")) is None


def test_a_rolled_back_transaction_writes_none_and_the_next_one_starts_clean(runtime, clock):
    alert_id = _alert(runtime, clock, 1)
    try:
        with runtime.database.writing() as db:
            record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="never")
            raise RuntimeError("the work failed")
    except RuntimeError:
        pass
    with runtime.database.writing() as db:
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="after")
    with runtime.database.reading() as db:
        bodies = db.scalars(sa.select(AlertEvent.body).where(AlertEvent.alert_id == alert_id,
                                                             AlertEvent.kind == "note"))
        assert list(bodies) == ["after"]


def test_new_alerts_their_pages_and_jobs_take_one_insert_per_table_and_are_still_counted(runtime, clock, factory):
    people = support.people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering"})
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        schedule = schedules.create_schedule(db=db, actor=factory.actor(people["alice"]), slug="platform",
                                             name="Platform", time_zone="UTC", team=team)
        schedules.add_layer(db=db, actor=factory.actor(people["alice"]), schedule=schedule, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["@bob"])
        team_id = team.id
    clock.set(datetime(2026, 1, 6, 12, tzinfo=UTC))
    with runtime.database.writing() as db:  # who is on call is read once, then kept: this reads it
        alerts.raise_alert(db=db, actor=Actor.system(clock), spec=AlertSpec(message="Warm-up", team_id=team_id))
    opened = metrics.alerts_opened._value.get()
    with inserts(runtime) as seen, runtime.database.writing() as db:
        for n in range(4):  # each pages bob: a notification and its job
            alerts.raise_alert(db=db, actor=Actor.system(clock), spec=AlertSpec(message=f"Alert {n}", team_id=team_id))
    assert seen.count("alerts") == 4  # each alert's insert decides whether it is new
    assert sorted(set(seen) - {"alerts"}) == ["alert_events", "jobs", "notifications"]
    assert len(seen) == 4 + 3
    assert metrics.alerts_opened._value.get() == opened + 4
    with runtime.database.reading() as db:
        due = db.scalars(sa.select(Job.idempotency_key).where(Job.due_at <= clock.now() + timedelta(seconds=1)))
        assert len([key for key in due if key.startswith("notify-")]) >= 4


def test_rows_added_in_a_savepoint_that_is_released_are_written_with_the_rest(runtime, clock):
    alert_id = _alert(runtime, clock, 1)
    with inserts(runtime) as seen, runtime.database.writing() as db:
        with db.begin_nested():
            for n in range(3):
                record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body=f"inside {n}")
        record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="note", body="after")
    assert seen == ["alert_events", "alert_events"]  # the three as the savepoint is released, the last at commit
    with runtime.database.reading() as db:
        bodies = db.scalars(sa.select(AlertEvent.body).where(AlertEvent.alert_id == alert_id,
                                                             AlertEvent.kind == "note").order_by(AlertEvent.id))
        assert list(bodies) == ["inside 0", "inside 1", "inside 2", "after"]
