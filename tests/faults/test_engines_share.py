"""Three `warroom engine` processes on one database, ~1,000 escalation steps falling due at once.

Each alert's policy pages nobody first (an empty team), then bob a minute later. The alerts are committed in
one transaction, back-dated so that every second step is already due: the three running engines find 1,000
steps due at the same moment. Each step runs exactly once and bob gets exactly one page per alert.

On PostgreSQL the engines share the work (FOR UPDATE SKIP LOCKED under a lease); on SQLite the write lock
serialises their claims, so the others wait their turn and none doubles a step.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.support import drain
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.engine.models import Job, JobState
from warroom.notifications.models import ContactKind, DeliveryStatus
from warroom.notifications.planning import NOTIFY_JOB
from warroom.observability.retention import make_pruner
from warroom.oncall.alerts import service as alerts
from warroom.oncall.escalation.service import ESCALATE_JOB

from .support import (
    engine_logs,
    engine_running,
    escalation_policy,
    escalations,
    fault_table,
    notifications_of,
    raise_alerts,
    sent_pages,
    start_engine,
    stop,
    utc_now,
    wait_until,
    webhook_pages,
    webhook_receiver,
)

pytestmark = pytest.mark.fault

ALERTS = 1000
ENGINES = 3
LEASE_SECONDS = 60
START_UP_SECONDS = 1.0  # after the first engine answers, for the others to finish starting


def test_three_engines_run_1000_steps_due_at_once_each_exactly_once(runtime, factory, database_url, tmp_path):
    bob = factory.user("bob")
    with runtime.database.writing() as db:
        nobody = accounts.create_team(db=db, actor=Actor.system(runtime.clock), slug="night-shift", name="Night")
    with webhook_receiver() as receiver:
        webhook_pages(runtime, bob, receiver.url)
        policy = escalation_policy(runtime, "fleet", [
            {"delay_minutes": 1, "targets": [{"type": "team", "id": nobody.id}]},
            {"delay_minutes": 0, "targets": [{"type": "user", "id": bob.id}]}])
        engines = [start_engine(database_url, tmp_path, lease=LEASE_SECONDS) for _ in range(ENGINES)]
        try:
            assert engine_running(runtime, seconds=LEASE_SECONDS), \
                f"no engine started; what they printed:\n{engine_logs(tmp_path)}"
            time.sleep(START_UP_SECONDS)  # the other two are up too (they start side by side)
            assert all(engine.poll() is None for engine in engines), "an engine exited while starting"
            started = time.monotonic()
            alert_ids = raise_alerts(runtime, ALERTS, policy_id=policy, at=utc_now() - timedelta(minutes=1),
                                     prefix="fleet")
            committed = time.monotonic()
            assert wait_until(lambda: sent_pages(runtime) >= ALERTS, 90), \
                f"{sent_pages(runtime)} of {ALERTS} pages sent"
            raise_seconds, seconds = committed - started, time.monotonic() - committed
            time.sleep(1.0)  # a doubled step or send would show up by now
            running = [engine.poll() is None for engine in engines]
        finally:
            for engine in engines:
                stop(engine)
    pages = notifications_of(runtime)
    step_two = escalations(runtime, step=1)
    with runtime.database.reading() as db:
        step_claims = dict(db.execute(sa.select(Job.attempts, sa.func.count()).where(Job.kind == ESCALATE_JOB)
                                      .group_by(Job.attempts)).all())
        send_retries = db.scalar(sa.select(sa.func.count()).select_from(Job)
                                 .where(Job.kind == NOTIFY_JOB, Job.attempts > 1))
        unfinished = db.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state != JobState.done))
    fault_table("engines_share", engines=ENGINES, steps=ALERTS, step_runs=len(step_two), pages=len(pages),
                delivered=len(receiver.distinct()), duplicates=len(receiver.ids) - len(receiver.distinct()),
                send_retries=send_retries, s503=0, raise_seconds=f"{raise_seconds:.1f}",
                seconds=f"{seconds:.1f}")
    assert running == [True] * ENGINES  # the engines that waited for the lock (SQLite) or a row kept going
    assert sorted(e.alert_id for e in step_two) == sorted(alert_ids)  # every step ran, none twice
    assert sorted(p.alert_id for p in pages) == sorted(alert_ids) and {p.user_id for p in pages} == {bob.id}
    assert {p.status for p in pages} == {DeliveryStatus.sent}
    assert sorted(receiver.ids) == sorted(p.idempotency_key for p in pages)  # each page sent once, none lost
    # A step runs in the transaction that claims it: claimed once means run once. A send may be tried again
    # (the receiver refused a connection under load), but it reached the receiver only once, above.
    assert step_claims == {1: ALERTS} and unfinished == 0


def test_a_page_a_fault_test_recorded_outlives_the_retention_round_of_an_engine_started_later(runtime, factory):
    """An engine process prunes by the wall clock at its first tick; what a fault test writes is dated on it too.

    Dated at the test clock's default (January 2026), a page another engine had just recorded as sent was past the
    180 days notifications are kept, and a later engine's first round deleted it: with three engines starting side
    by side, the start-up canary of the test above was sometimes recorded and then gone."""
    bob = factory.user("bob")  # no contact methods: paged by (logged) mail
    with runtime.database.writing() as db:
        alerts.raise_alert(db=db, actor=Actor.system(runtime.clock), spec=alerts.AlertSpec(
            message="disk full", alias="disk", responders=[{"type": "user", "id": bob.id}]))
    drain(runtime)
    assert sent_pages(runtime, ContactKind.email) == 1
    make_pruner(runtime.settings)(runtime.database, utc_now())  # a later engine's first round
    assert sent_pages(runtime, ContactKind.email) == 1
