"""Several Warroom processes on one PostgreSQL: what one commits reaches the others at once (LISTEN/NOTIFY).

Process A is a real `warroom serve` (or `warroom engine`); process B is this test's own app on uvicorn (or its
store session). Behind the notifications, a stream polls every 2 s, a remembered API token is checked again
after 2 s and an idle engine ticks at its interval (30 s here), so every bound below (1 s) is one those alone
would miss: each message is posted right after the one before it arrived, just after a poll.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.factories import PASSWORD, Factory
from tests.faults.support import (
    Served,
    escalation_policy,
    kill_9,
    process_env,
    raise_alerts,
    start_serve,
    stop,
    webhook_pages,
)
from tests.smoke.test_engine_processes import webhook_receiver
from tests.support import live_server, wait_until
from tests.web.test_live import events
from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.core.actor import Actor
from warroom.runtime import Runtime

pytestmark = pytest.mark.postgres_only

LIVENESS = 1.0  # a bound that catches the 2 s poll, not a latency figure (bench/live_latency.py measures that)
# The idle engine below sleeps 30 s between ticks: without the wake-up its page would take up to 30 s, so 5 s
# tells the wake-up apart on a loaded machine too (the first tick, retention's round included, may still run).
ENGINE_WAKE = 5.0


@pytest.fixture
def process_a(runtime: Runtime, tmp_path: Path) -> Iterator[Served]:
    served = start_serve(runtime.settings.resolved_database_url(), tmp_path / "a", engine=False)
    try:
        yield served
    finally:
        stop(served.process)


def signed_in(base: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    client.get("/login")
    answer = client.post("/login", data={"login": login, "password": PASSWORD,
                                         "login_token": client.cookies.get("warroom_login") or "", "next": "/"})
    assert answer.status_code == 303, answer.text[:300]
    return client


def follow(client: httpx.Client, path: str, arrived: queue.Queue[tuple[float, dict[str, str]]],
           opened: threading.Event) -> None:
    try:
        with client.stream("GET", path, timeout=30) as response:
            assert response.status_code == 200
            opened.set()
            for event in events(response):
                arrived.put((time.monotonic(), event))
    except httpx.HTTPError:
        return  # the test closed the browser


def test_a_message_posted_through_one_process_reaches_a_stream_on_another_at_once(
        runtime: Runtime, factory: Factory, process_a: Served) -> None:
    bob = factory.user("bob")
    factory.incident(bob, title="Checkout is down")
    token = factory.token(bob)
    arrived: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
    opened = threading.Event()
    browser = signed_in(process_a.base, "bob")
    threading.Thread(target=follow, args=(browser, "/incidents/INC-1/events", arrived, opened), daemon=True).start()
    assert opened.wait(10)
    with live_server(runtime) as process_b, httpx.Client(base_url=process_b.url, timeout=10,
                                                         headers={"authorization": f"Bearer {token}"}) as api:
        for n in range(4):
            posted = time.monotonic()
            answer = api.post("/api/v1/incidents/INC-1/messages", json={"text": f"update {n}"})
            assert answer.status_code == 201, answer.text
            entry = str(answer.json()["id"])
            while True:
                try:
                    at, event = arrived.get(timeout=LIVENESS)
                except queue.Empty:
                    raise AssertionError(f"message {n} did not reach the stream on the other process "
                                         f"within {LIVENESS} s") from None
                if event.get("event") == "entry" and event.get("id") == entry:
                    break
            assert at - posted < LIVENESS, f"message {n} took {at - posted:.2f} s to reach the other process"
    browser.close()


def test_a_token_revoked_through_one_process_is_refused_by_another_at_once(
        runtime: Runtime, factory: Factory, process_a: Served) -> None:
    bob = factory.user("bob")
    token = factory.token(bob)
    bearer = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=process_a.base, headers=bearer, timeout=10) as on_a:
        assert on_a.get("/api/v1/incidents").status_code == 200  # process A now remembers the token for 2 s
        with live_server(runtime) as process_b, httpx.Client(base_url=process_b.url, headers=bearer) as on_b:
            mine = on_b.get("/api/v1/tokens").json()["items"][0]["id"]
            revoked = time.monotonic()
            assert on_b.delete(f"/api/v1/tokens/{mine}").status_code == 200
        assert wait_until(lambda: on_a.get("/api/v1/incidents").status_code == 401, LIVENESS, every=0.02), \
            f"process A still took the revoked token {time.monotonic() - revoked:.2f} s later"


def test_a_role_lowered_through_one_process_binds_on_another_at_once(
        runtime: Runtime, factory: Factory, process_a: Served) -> None:
    bob = factory.user("bob")
    admin = factory.user("alice", AccessRole.admin)
    token = factory.token(bob)
    with httpx.Client(base_url=process_a.base, headers={"authorization": f"Bearer {token}"}, timeout=10) as on_a:
        assert on_a.post("/api/v1/incidents", json={}).status_code == 422  # a responder: past the role check
        with runtime.database.writing() as db:  # another process: this test's
            accounts.set_access_role(db=db, actor=Actor(admin.id, "alice", AccessRole.admin, "test", runtime.clock),
                                     user=db.merge(bob), access_role=AccessRole.viewer)
        assert wait_until(lambda: on_a.post("/api/v1/incidents", json={}).status_code == 403, LIVENESS,
                          every=0.02), "process A still let the viewer write"


def listeners(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                     "'warroom-listen' AND datname = current_database()")) or 0)


def test_an_idle_engine_in_another_process_wakes_for_a_job_at_once(
        runtime: Runtime, factory: Factory, tmp_path: Path) -> None:
    bob = factory.user("bob")
    env = process_env(runtime.settings.resolved_database_url(), tmp_path)
    idle = subprocess.Popen([sys.executable, "-m", "warroom.cli", "engine", "--interval", "30"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with webhook_receiver() as receiver:
            webhook_pages(runtime, bob, receiver.url)
            policy = escalation_policy(runtime, "checkout", [
                {"delay_minutes": 0, "targets": [{"type": "user", "id": bob.id}]}])
            wait_until(lambda: listeners(runtime) >= 1, 10)  # started and listening (a bound, not an assertion)
            time.sleep(0.5)  # its first tick is done: it now sleeps for its 30 s interval
            raised = time.monotonic()
            raise_alerts(runtime, 1, policy_id=policy, at=datetime.now(UTC), prefix="checkout")
            assert wait_until(lambda: len(receiver.ids) >= 1, ENGINE_WAKE, every=0.02), \
                f"the idle engine had not paged {time.monotonic() - raised:.2f} s after the alert was committed"
    finally:
        kill_9(idle)  # a SIGTERM is seen at the end of the 30 s sleep
