"""Retention: old finished jobs, request statuses, notifications and GitHub deliveries are pruned in batches;
pending and dead jobs, queued notifications and (unless an admin sets it) the audit log are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from warroom.audit.models import AuditEntry
from warroom.config import Settings
from warroom.core.clock import FakeClock
from warroom.demo import seed_demo
from warroom.engine.models import Job, JobState
from warroom.followups.models import GithubDelivery
from warroom.incidents.models import Incident, Status
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.observability.retention import Pruner, kept_days
from warroom.oncall.alerts.models import AlertRequest
from warroom.oncall.changes.models import ChangeEvent
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..support import count


def _job(runtime: Runtime, key: str, age: timedelta, state: JobState) -> None:
    at = runtime.clock.now() - age
    with runtime.database.writing() as db:
        db.add(Job(kind="test.kind", payload={}, idempotency_key=key, due_at=at, created_at=at, state=state,
                   finished_at=at if state is not JobState.pending else None))


def _records(runtime: Runtime, factory, age: timedelta, tag: str) -> None:  # type: ignore[no-untyped-def]
    at = runtime.clock.now() - age
    user = factory.user(f"u{tag}")
    with runtime.database.writing() as db:
        db.add(AlertRequest(id=f"req-{tag}", action="create", created_at=at))
        db.add(GithubDelivery(delivery_id=f"gh-{tag}", event="issues", received_at=at))
        db.add(AuditEntry(at=at, via="test", action="test", target_type="t", target_id=tag, detail={}))
        for status in (DeliveryStatus.sent, DeliveryStatus.queued):
            db.add(Notification(user_id=user.id, kind=ContactKind.email, subject="s", status=status,
                                idempotency_key=f"n-{tag}-{status.value}", created_at=at, due_at=at))


def _keys(runtime: Runtime, column: sa.ColumnElement[object]) -> list[object]:
    with runtime.database.reading() as db:
        return sorted(db.scalars(sa.select(column)))


def test_the_pruner_deletes_what_is_older_than_its_setting_and_keeps_the_rest(runtime: Runtime, factory,
                                                                              clock: FakeClock):
    old, new = timedelta(days=200), timedelta(days=2)
    for name, state in (("done", JobState.done), ("dead", JobState.dead), ("pending", JobState.pending)):
        _job(runtime, f"old-{name}", old, state)
        _job(runtime, f"new-{name}", new, state)
    _records(runtime, factory, old, "old")
    _records(runtime, factory, new, "new")
    pruner = Pruner(kept_days(runtime.settings))
    pruner(runtime.database, clock.now())
    assert _keys(runtime, Job.idempotency_key) == ["new-dead", "new-done", "new-pending", "old-dead", "old-pending"]
    assert _keys(runtime, AlertRequest.id) == ["req-new"]
    assert _keys(runtime, GithubDelivery.delivery_id) == ["gh-new"]
    assert _keys(runtime, Notification.idempotency_key) == ["n-new-queued", "n-new-sent", "n-old-queued"]
    assert {"new", "old"} <= set(_keys(runtime, AuditEntry.target_id))  # WARROOM_RETENTION_AUDIT_DAYS is 0


def test_the_audit_log_is_pruned_only_when_an_admin_sets_it_and_never_below_its_floor(runtime: Runtime,
                                                                                      factory, clock: FakeClock):
    with pytest.raises(ValidationError, match="WARROOM_RETENTION_AUDIT_DAYS is 30; keep at least 365 days"):
        Settings(retention_audit_days=30)
    with pytest.raises(ValidationError, match="WARROOM_RETENTION_NOTIFICATIONS_DAYS is 1; keep at least 7"):
        Settings(retention_notifications_days=1)
    _records(runtime, factory, timedelta(days=800), "ancient")
    _records(runtime, factory, timedelta(days=200), "recent")
    Pruner({"audit": 400})(runtime.database, clock.now())
    assert [t for t in _keys(runtime, AuditEntry.target_id) if t in ("ancient", "recent")] == ["recent"]
    # The database itself keeps the floor: a row less than 365 days older than the newest cannot be deleted.
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.delete(AuditEntry).where(AuditEntry.target_id == "recent"))
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.update(AuditEntry).values(action="tampered"))


def test_a_backlog_is_pruned_in_batches_over_several_ticks_and_then_waits_for_the_next_round(
        runtime: Runtime, clock: FakeClock):
    for n in range(25):
        _job(runtime, f"done-{n}", timedelta(days=30), JobState.done)
    pruner = Pruner({"jobs": 7}, batch=4, budget=0.0)  # no time at all: one batch a tick
    now: datetime = clock.now()
    pruner(runtime.database, now)
    assert count(runtime, "jobs") == 21
    for _ in range(6):
        pruner(runtime.database, now)
    assert count(runtime, "jobs") == 0
    _job(runtime, "later", timedelta(days=30), JobState.done)
    pruner(runtime.database, now + timedelta(minutes=1))  # the round is over: the next starts in 5 minutes
    assert count(runtime, "jobs") == 1
    pruner(runtime.database, now + timedelta(minutes=6))
    assert count(runtime, "jobs") == 0


def test_the_engine_runs_the_pruner_as_it_ticks(runtime: Runtime, clock: FakeClock):
    _job(runtime, "old", timedelta(days=30), JobState.done)
    engine = runtime.engine()
    engine.tick()
    engine.close()
    assert count(runtime, "jobs") == 0


def test_closed_incidents_go_with_everything_theirs_only_when_an_admin_sets_it(runtime: Runtime, factory,
                                                                              clock: FakeClock):
    with pytest.raises(ValidationError, match="WARROOM_RETENTION_INCIDENTS_DAYS is 90; keep at least 365"):
        Settings(retention_incidents_days=90)
    with runtime.database.writing() as db:
        seed_demo(db=db, clock=clock)  # the resolved example incident: timeline, roles, checklist, postmortem …
    bob = factory.user("bob-retention")
    still_open = factory.incident(bob, title="Search is slow")
    newest = factory.incident(bob, title="Checkout fails")
    with runtime.database.writing() as db:
        db.execute(sa.update(Incident).where(Incident.id != still_open.id)
                   .values(status=Status.closed, closed_at=clock.now()))
    later = clock.now() + timedelta(days=800)
    Pruner(kept_days(runtime.settings))(runtime.database, later)  # not set: every incident is kept
    assert len(_keys(runtime, Incident.id)) == 3
    demo = min(_keys(runtime, Incident.id))
    timeline = count(runtime, "timeline_entries")
    Pruner({"incidents": 400})(runtime.database, later)
    # The demo incident goes with its rows; the open one stays; the newest stays though closed (its number is
    # never given out again).
    assert _keys(runtime, Incident.id) == [still_open.id, newest.id]
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(TimelineEntry)
                         .where(TimelineEntry.incident_id == demo)) == 0
    assert count(runtime, "timeline_entries") < timeline


def test_reported_changes_are_kept_a_year_by_when_they_arrived_and_never_below_their_floor(runtime: Runtime,
                                                                                         clock: FakeClock):
    now = clock.now()
    with runtime.database.writing() as db:
        for name, arrived, happened in (("old", now - timedelta(days=400), now - timedelta(days=400)),
                                        ("new", now - timedelta(days=2), now - timedelta(days=2)),
                                        # a tool may date a change far back; it arrived just now, so it stays
                                        ("back-dated", now, now - timedelta(days=900))):
            db.add(ChangeEvent(service=name, summary=f"deploy {name}", happened_at=happened, received_at=arrived,
                               details={}, links=[]))
    assert kept_days(runtime.settings)["change_events"] == 365
    Pruner(kept_days(runtime.settings))(runtime.database, now)
    assert _keys(runtime, ChangeEvent.service) == ["back-dated", "new"]
    with pytest.raises(ValidationError, match="WARROOM_RETENTION_CHANGE_EVENTS_DAYS is 7; keep at least 30 days"):
        Settings(retention_change_events_days=7)
