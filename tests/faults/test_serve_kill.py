"""kill -9 of `warroom serve` under ingest: every event answered 2xx is in the database after the restart.

A 2xx is an acknowledgement that the event is committed (the ingest endpoints answer after commit), so a
SIGKILL at any moment may lose only events whose sender never heard back, and those senders retry.
"""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from warroom.oncall.alerts.models import Alert

from .support import Load, drive, fault_table, kill_9, pagerduty_key, start_serve, stop, trigger

pytestmark = pytest.mark.fault

CONNECTIONS = 16
ANSWERED_BEFORE_KILL = 400  # the kill lands mid-load, once this many events have been acknowledged
AFTER_KILL_SECONDS = 0.5  # keep sending into the dead port a little: those requests must fail, not hang


def test_kill_9_of_serve_under_ingest_keeps_every_event_answered_2xx(runtime, factory, database_url, tmp_path):
    factory.user("bob", teams=("payments",))
    key = pagerduty_key(runtime, "payments")
    data_dir = tmp_path / "data"
    served = start_serve(database_url, data_dir)
    killed_at: list[float] = []

    def kill_mid_load(load: Load) -> bool:
        if not killed_at and len(load.ok) >= ANSWERED_BEFORE_KILL:
            kill_9(served.process)
            killed_at.append(time.monotonic())
        return bool(killed_at) and time.monotonic() - killed_at[0] > AFTER_KILL_SECONDS

    started = time.monotonic()
    try:
        load = drive(f"{served.base}/v2/enqueue", lambda n: trigger(key, f"ev-{n}", n), total=20_000,
                     connections=CONNECTIONS, seconds=25, stop_when=kill_mid_load)
    finally:
        kill_9(served.process)
    assert killed_at, f"only {len(load.ok)} events were answered before the time ran out:\n{served.output()}"
    restarted = start_serve(database_url, data_dir, port=served.port)  # the store opens after a crash
    try:
        after = httpx.post(f"{restarted.base}/v2/enqueue", json=trigger(key, "after-restart"), timeout=10)
    finally:
        stop(restarted.process)
    seconds = time.monotonic() - started
    with runtime.database.reading() as db:
        stored = set(db.scalars(sa.select(Alert.alias).where(Alert.alias.like("ev-%"))))
    answered = {f"ev-{n}" for n in load.ok}
    fault_table("serve_kill", sent=load.sent, answered_2xx=len(answered), stored=len(stored),
                lost=len(answered - stored), stored_unanswered=len(stored - answered), s503=load.unavailable,
                failed_connections=load.failed, seconds=f"{seconds:.1f}")
    assert answered - stored == set(), "answered 2xx but not stored after the crash"
    assert set(load.statuses.values()) <= {202, None}, f"answers other than 202 or a dropped connection: {load}"
    assert load.failed > 0  # the kill did land while requests were in flight or being sent
    assert after.status_code == 202, after.text
