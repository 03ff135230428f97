"""Real engine processes: kill -9 mid-send loses nothing; three engines share work exactly once.

Each engine is `warroom engine` in its own process against the store under test. Pages go to a real
webhook receiver on 127.0.0.1, which dedups on the Standard Webhooks `webhook-id`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.notifications import service as notifications
from warroom.notifications.models import DeliveryStatus, Notification
from warroom.oncall.alerts import service as alerts

from ..support import (  # tests/faults import wait_until from here too
    Reply,
    Request,
    http_server,
    stop_process,
    wait_until,
    wall_dated_clock,
)


class Receiver:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.hold_first = threading.Event()  # set: let the first request answer
        self.hold_first.set()
        self.first_arrived = threading.Event()
        self.url = ""

    def distinct(self) -> set[str]:
        with self.lock:
            return set(self.ids)

    def respond(self, request: Request) -> Reply:
        """Keep the page's webhook-id; hold the first answer until ``hold_first`` is set."""
        with self.lock:
            self.ids.append(request.headers["webhook-id"])
            first = len(self.ids) == 1
        if first:
            self.first_arrived.set()
            self.hold_first.wait(timeout=60)
        return Reply(200)  # not heard when the engine that sent it was killed meanwhile


@pytest.fixture
def clock() -> FakeClock:
    """Pages are dated on the clock the engine processes run on (their retention rounds included)."""
    return wall_dated_clock()


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with http_server(receiver.respond, path="/pages") as server:
        receiver.url = server.url
        try:
            yield receiver
        finally:
            receiver.hold_first.set()


def start_engine(database_url: str, data_dir: Path, lease: float = 2, tick: float = 0.05) -> subprocess.Popen[bytes]:
    env = dict(os.environ, WARROOM_DATABASE_URL=database_url, WARROOM_DATA_DIR=str(data_dir),
               WARROOM_SECRET_KEY="test-secret-key", WARROOM_ENGINE_LEASE_SECONDS=str(lease),
               WARROOM_ENGINE_TICK_SECONDS=str(tick), WARROOM_SEED_DEMO="false", WARROOM_OUTBOUND_ALLOW="127.0.0.0/8")
    log = tempfile.NamedTemporaryFile(prefix="engine-", suffix=".log", dir=data_dir, delete=False)  # noqa: SIM115
    with log:  # the engine writes it; engine_logs() reads it when a test needs to say why an engine did not run
        return subprocess.Popen([sys.executable, "-m", "warroom.cli", "engine"], env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def engine_logs(data_dir: Path, last: int = 2000) -> str:
    """The end of what every engine started in ``data_dir`` printed (for a failing test's message)."""
    return "\n".join(f"--- {path.name}:\n{path.read_text(errors='replace')[-last:]}"
                     for path in sorted(data_dir.glob("engine-*.log")))


def stop(process: subprocess.Popen[bytes]) -> None:
    stop_process(process)


def page_user_by_webhook(runtime, factory, receiver: Receiver, alerts_to_raise: int) -> None:
    bob = factory.user("bob")
    with runtime.database.writing() as db:
        method = notifications.add_contact_method(db=db, actor=factory.actor(bob), user=bob, kind="webhook",
                                                  address=receiver.url, outbound=runtime.outbound)
        notifications.add_rule(db=db, actor=factory.actor(bob), user=bob, contact_method_id=method.id,
                               delay_minutes=0)
        for n in range(alerts_to_raise):
            alerts.raise_alert(db=db, actor=Actor.system(runtime.clock),
                               spec=alerts.AlertSpec(message=f"disk {n} full", alias=f"disk-{n}",
                                                     responders=[{"type": "user", "id": bob.id}]))


def sent_count(runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.status == DeliveryStatus.sent)) or 0)


def test_kill_9_between_send_and_record_resends_with_the_same_id(runtime, factory, database_url, tmp_path):
    with webhook_receiver() as receiver:
        receiver.hold_first.clear()
        # A webhook URL can carry a secret (Slack's incoming webhooks do, in the path): checked against the log below.
        receiver.url += "/T0001/B0001/s3cret-webhook-token"
        page_user_by_webhook(runtime, factory, receiver, 1)
        engine = start_engine(database_url, tmp_path)
        try:
            assert receiver.first_arrived.wait(timeout=60), "the engine never sent the page"
            engine.send_signal(signal.SIGKILL)  # dies after sending, before recording the send
            engine.wait(timeout=20)
            assert sent_count(runtime) == 0
            receiver.hold_first.set()
            engine = start_engine(database_url, tmp_path)
            assert wait_until(lambda: sent_count(runtime) == 1, 60)
        finally:
            stop(engine)
    assert len(receiver.ids) == 2  # at most two raw sends …
    assert len(receiver.distinct()) == 1  # … and exactly one after dedup
    # The engine logs Warroom's own lines, not every outbound request with its URL.
    logs = engine_logs(tmp_path, last=100_000)
    assert "Warroom engine" in logs
    assert "s3cret-webhook-token" not in logs and "HTTP Request" not in logs, logs


@pytest.mark.postgres_only
def test_three_engines_deliver_1000_due_pages_exactly_once(runtime, factory, database_url, tmp_path):
    with webhook_receiver() as receiver:
        page_user_by_webhook(runtime, factory, receiver, 1000)
        engines = [start_engine(database_url, tmp_path, lease=60) for _ in range(3)]
        try:
            assert wait_until(lambda: sent_count(runtime) == 1000, 300), f"sent {sent_count(runtime)} of 1000"
        finally:
            for engine in engines:
                stop(engine)
    assert len(receiver.distinct()) == 1000  # none skipped
    assert len(receiver.ids) == 1000  # and, with no crash, none sent twice either
    with runtime.database.reading() as db:
        per_alert = db.execute(sa.select(Notification.alert_id, sa.func.count()).group_by(Notification.alert_id)).all()
    assert len(per_alert) == 1000 and {n for _, n in per_alert} == {1}
