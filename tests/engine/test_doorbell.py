"""A job committed by one process wakes `warroom engine` in another at once, not at its next tick: through the
doorbell on SQLite, through LISTEN/NOTIFY on PostgreSQL."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from warroom.core.actor import Actor
from warroom.engine import doorbell
from warroom.engine.models import EngineHeartbeat
from warroom.notifications import service as notifications
from warroom.oncall.alerts import service as alerts

from ..smoke.test_engine_processes import engine_logs, start_engine, stop, webhook_receiver
from ..support import wait_until, wall_dated_clock

IDLE_TICK = 30.0  # the engine under test sleeps this long between ticks: only a wake-up pages sooner


@pytest.fixture
def clock():
    return wall_dated_clock()


def test_a_new_alert_wakes_an_engine_of_another_process_at_once_and_sigterm_stops_it_at_once(
        runtime, factory, database_url, tmp_path):
    bob = factory.user("bob")
    with webhook_receiver() as receiver:
        with runtime.database.writing() as db:
            method = notifications.add_contact_method(db=db, actor=factory.actor(bob), user=bob, kind="webhook",
                                                      address=receiver.url, outbound=runtime.outbound)
            notifications.add_rule(db=db, actor=factory.actor(bob), user=bob, contact_method_id=method.id,
                                   delay_minutes=0)
        engine = start_engine(database_url, tmp_path, tick=IDLE_TICK)
        try:
            wait_until(lambda: beats(runtime) > 0, 60, what=f"the engine's first tick\n{engine_logs(tmp_path)}")
            time.sleep(0.5)  # idle now, until its next tick 30 s on or a wake-up
            raised_at = time.monotonic()
            with doorbell.ringing(database_url), runtime.database.writing() as db:
                alerts.raise_alert(db=db, actor=Actor.system(runtime.clock), spec=alerts.AlertSpec(
                    message="disk full", alias="disk", responders=[{"type": "user", "id": bob.id}]))
            wait_until(lambda: len(receiver.distinct()) == 1, 10,
                       what=f"the page within 10 s (the engine ticks every {IDLE_TICK:g} s)\n{engine_logs(tmp_path)}")
            assert time.monotonic() - raised_at < IDLE_TICK / 3
            time.sleep(0.5)  # idle again
            stopping = time.monotonic()
            engine.terminate()
            assert engine.wait(timeout=IDLE_TICK * 2) == 0
            assert time.monotonic() - stopping < IDLE_TICK / 3, "SIGTERM waited for the idle engine's next tick"
        finally:
            stop(engine)


def test_the_bell_of_a_database_is_answered_by_one_engine_and_ringing_nobody_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'warroom.db'}"
    woken: list[str] = []
    with doorbell.answering(url, lambda: woken.append("first")) as first, \
            doorbell.answering(url, lambda: woken.append("second")) as second:
        assert (first, second) == (True, False)  # the second engine wakes on its ticks
        with doorbell.ringing(url):
            doorbell.ring()
            assert wait_until(lambda: woken == ["first"], 5)
    with doorbell.ringing(url):
        doorbell.ring()  # nobody answers: refused, and said nowhere
    assert doorbell.address("postgresql://db/warroom") is None
    assert doorbell.address(url) != doorbell.address(f"sqlite:///{tmp_path / 'other.db'}")


def beats(runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(EngineHeartbeat)) or 0)
