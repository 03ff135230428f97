"""Shared pieces of the fault suite: real `warroom serve` / `warroom engine` processes, a bounded load driver,
the data a page needs, and the one-line summary each fault test prints for docs/reliability.md.

Processes run against the store under test (the per-test SQLite file, or the run's PostgreSQL database from
tests/conftest.py). Free ports, bounded waits and the recording HTTP server come from tests.support, the engine
starter from tests/smoke/test_engine_processes.py, the open-loop load generator from bench/loadgen.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.smoke.test_engine_processes import engine_logs, start_engine, stop
from tests.support import RecordingServer, Reply, Request, free_port, http_server, wait_until
from warroom.accounts import service as accounts
from warroom.accounts.models import Team, User
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertEvent
from warroom.oncall.escalation import policies
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key
from warroom.runtime import Runtime

__all__ = ["engine_logs", "start_engine", "stop", "wait_until"]

# Pages go to a receiver on loopback; the outbound-address policy refuses loopback unless this allows it.
OUTBOUND_ALLOW = "127.0.0.0/8"
SECRET_KEY = "test-secret-key"


def store_name() -> str:
    url = os.environ.get("WARROOM_TEST_DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres", "postgresql")) else "sqlite"


def process_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a Warroom process on the store under test; ``settings`` are more WARROOM_* values."""
    env = dict(os.environ, WARROOM_DATABASE_URL=database_url, WARROOM_DATA_DIR=str(data_dir),
               WARROOM_SECRET_KEY=SECRET_KEY, WARROOM_SEED_DEMO="false", WARROOM_OUTBOUND_ALLOW=OUTBOUND_ALLOW)
    env.update({f"WARROOM_{name.upper()}": value for name, value in settings.items()})
    return env


@dataclass
class Served:
    """One `warroom serve` process: where it listens, and its output (for a failing test's message)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self, last: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-last:]
        except OSError:
            return ""


def start_serve(database_url: str, data_dir: Path, *, port: int | None = None, engine: bool = True,
                ready_seconds: float = 60, **settings: str) -> Served:
    """`warroom serve` in its own process on 127.0.0.1, returned once /api/v1/health answers 200."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{port}-{time.monotonic_ns()}.log"
    env = process_env(database_url, data_dir, run_engine="true" if engine else "false",
                      base_url=f"http://127.0.0.1:{port}", engine_tick_seconds="0.05", **settings)
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "warroom.cli", "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(process, port, log)
    if not wait_ready(served, ready_seconds):
        kill_9(process)
        raise AssertionError(f"warroom serve did not answer /api/v1/health in {ready_seconds:.0f} s:\n"
                             f"{served.output()}")
    return served


def wait_ready(served: Served, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and served.process.poll() is None:
        try:
            if httpx.get(f"{served.base}/api/v1/health", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def kill_9(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no shutdown handler, no flush, no lifespan — what a power cut or the OOM killer does."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)


# --- a webhook receiver -------------------------------------------------------------------------------------


@dataclass
class Pages:
    """What a webhook receiver got: the idempotency id (``webhook-id``) of every page, in order of arrival.

    While ``hold`` is cleared the receiver is slow: each page is recorded on arrival, then waits for an answer
    until ``hold`` is set — a kill then lands mid-delivery."""

    server: RecordingServer
    hold: threading.Event

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ids(self) -> list[str]:
        return [request.headers.get("webhook-id", "") for request in list(self.server.requests)]

    def distinct(self) -> set[str]:
        return set(self.ids)


@contextmanager
def webhook_receiver() -> Iterator[Pages]:
    hold = threading.Event()
    hold.set()

    def respond(request: Request) -> Reply:
        hold.wait(timeout=60)
        return Reply(200)

    with http_server(respond, path="/pages") as server:
        pages = Pages(server, hold)
        try:
            yield pages
        finally:
            hold.set()


# --- the data a page needs ----------------------------------------------------------------------------------


def webhook_pages(runtime: Runtime, user: User, url: str) -> None:
    """``user`` is paged by webhook at ``url``, at once."""
    actor = Actor.system(runtime.clock)
    with runtime.database.writing() as db:
        method = notifications.add_contact_method(db=db, actor=actor, user=user, kind="webhook", address=url,
                                                  outbound=runtime.outbound)
        notifications.add_rule(db=db, actor=actor, user=user, contact_method_id=method.id, delay_minutes=0)


def pagerduty_key(runtime: Runtime, team_slug: str) -> str:
    """A PagerDuty Events v2 integration key whose alerts page ``team_slug``."""
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name=team_slug)
        assert isinstance(team, Team)
        return create_key(db=db, actor=Actor.system(runtime.clock), name=f"fault {team_slug}",
                          kind=KeyKind.pagerduty, team=team).secret


def trigger(routing_key: str, dedup_key: str, n: int = 0) -> dict[str, Any]:
    """A PagerDuty Events v2 trigger."""
    return {"routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": f"Checkout errors above 5% ({dedup_key})", "source": "fault-suite",
                        "severity": "error", "custom_details": {"n": n}}}


def escalation_policy(runtime: Runtime, slug: str, steps: list[dict[str, Any]]) -> int:
    """An escalation policy with these steps (``{"delay_minutes": m, "targets": [...]}``); returns its id."""
    with runtime.database.writing() as db:
        return policies.create_policy(db=db, actor=Actor.system(runtime.clock), slug=slug, name=slug,
                                      steps=steps).id


def raise_alerts(runtime: Runtime, count: int, *, policy_id: int, at: datetime, prefix: str) -> list[int]:
    """``count`` alerts escalating through the policy, raised as if at ``at`` (their first step pages then)."""
    actor = Actor.system(FakeClock(at))
    responders = [{"type": "escalation", "id": policy_id}]
    with runtime.database.writing() as db:
        return [alerts.raise_alert(db=db, actor=actor, spec=alerts.AlertSpec(
            message=f"{prefix} {n} failing", alias=f"{prefix}-{n}", responders=responders)).alert_id
            for n in range(count)]


def escalations(runtime: Runtime, step: int) -> list[AlertEvent]:
    """Every time an alert's escalation step ``step`` paged (its "escalated" events)."""
    with runtime.database.reading() as db:
        rows = [e for e in db.scalars(sa.select(AlertEvent).where(AlertEvent.kind == "escalated")
                                      .order_by(AlertEvent.id)) if e.data.get("step") == step]
        db.expunge_all()
        return rows


def notifications_of(runtime: Runtime, kind: ContactKind = ContactKind.webhook) -> list[Notification]:
    """Every page of this kind (the canary's mail is not one of them)."""
    with runtime.database.reading() as db:
        rows = list(db.scalars(sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
        db.expunge_all()
        return rows


def sent_pages(runtime: Runtime, kind: ContactKind = ContactKind.webhook) -> int:
    """How many pages of this kind are recorded as sent."""
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.status == DeliveryStatus.sent, Notification.kind == kind)) or 0)


def engine_running(runtime: Runtime, seconds: float = 60) -> bool:
    """True once an engine is up and sending: a canary alert pages someone by (logged) mail, which is sent.

    The canary is an alert for a person without contact methods; fault tests count webhook pages only."""
    actor = Actor.system(runtime.clock)
    with runtime.database.writing() as db:
        canary = db.scalar(sa.select(User).where(User.handle == "canary")) or accounts.create_user(
            db=db, actor=actor, handle="canary", email="canary@example.com", name="Canary", password=None)
        before = int(db.scalar(sa.select(sa.func.count()).select_from(Notification)
                               .where(Notification.user_id == canary.id)) or 0)
        alerts.raise_alert(db=db, actor=actor, spec=alerts.AlertSpec(
            message="is an engine running?", alias=f"canary-{before}",
            responders=[{"type": "user", "id": canary.id}]))
    return wait_until(lambda: sent_pages(runtime, ContactKind.email) > before, seconds)


# --- a bounded load driver ----------------------------------------------------------------------------------


@dataclass
class Load:
    """What each request of a load run got: its HTTP status, or None when the connection failed."""

    statuses: dict[int, int | None] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return len(self.statuses)

    def answered(self, low: int, high: int) -> list[int]:
        return sorted(n for n, status in self.statuses.items() if status is not None and low <= status < high)

    @property
    def ok(self) -> list[int]:
        return self.answered(200, 300)

    @property
    def unavailable(self) -> int:
        return sum(1 for status in self.statuses.values() if status == 503)

    @property
    def failed(self) -> int:
        return sum(1 for status in self.statuses.values() if status is None)


def drive(url: str, body_of: Callable[[int], dict[str, Any]], *, total: int, connections: int,
          seconds: float, stop_when: Callable[[Load], bool] | None = None) -> Load:
    """POST ``body_of(n)`` for n in 0..total-1 over ``connections`` keep-alive connections, each request
    once (no retries), until all are sent, ``seconds`` pass, or ``stop_when(load)`` says so."""
    return asyncio.run(_drive(url, body_of, total, connections, seconds, stop_when))


async def _drive(url: str, body_of: Callable[[int], dict[str, Any]], total: int, connections: int,
                 seconds: float, stop_when: Callable[[Load], bool] | None) -> Load:
    load = Load()
    numbers = iter(range(total))
    start = time.monotonic()
    deadline = start + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(client: httpx.AsyncClient) -> None:
        for n in numbers:
            if time.monotonic() >= deadline or (stop_when is not None and stop_when(load)):
                return
            try:
                response = await client.post(url, json=body_of(n))
                load.statuses[n] = response.status_code
            except httpx.HTTPError:
                load.statuses[n] = None

    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    load.seconds = time.monotonic() - start
    return load


# --- figures -------------------------------------------------------------------------------------------------


def fault_table(test: str, **figures: object) -> None:
    """With WARROOM_FAULT_TABLE set, one `FAULT-TABLE …` line per run (shown with pytest -s), and appended to
    the file it names when that is a path: the rows of docs/reliability.md."""
    target = os.environ.get("WARROOM_FAULT_TABLE", "")
    if not target:
        return
    line = "FAULT-TABLE " + " ".join([f"store={store_name()}", f"test={test}",
                                      *(f"{name}={value}" for name, value in figures.items())])
    print(line, flush=True)
    if target not in ("1", "yes", "true"):
        with open(target, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def utc_now() -> datetime:
    """Wall-clock time as the processes under test see it (they run on the system clock)."""
    from warroom.core.clock import SystemClock

    return SystemClock().now()


# --- a PostgreSQL of the test's own, to stop and start (never the shared one) --------------------------------


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin/ (with initdb), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a spare port, run as the ``postgres`` user from a temp dir.

    Tests stop, kill and restart it; the shared server on 5432 is never touched.
    """

    def __init__(self, bin_dir: Path, root: Path, port: int | None = None) -> None:
        self.bin_dir, self.root, self.port = bin_dir, root, port or free_port()
        self.data = root / "data"
        self.log = root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = " ".join(f"'{a}'" for a in args)
        return subprocess.run(["su", "postgres", "-c", command], capture_output=True, check=check, timeout=60)

    def init(self) -> PrivatePostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o777)  # noqa: S103  (a temp dir the postgres user must write into)
        self._as_postgres(str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                          "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.root}'"
                       "\nfsync = off\nmax_connections = 100\ndeadlock_timeout = '100ms'\n")
        return self

    def start(self) -> None:
        self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (57P01 admin shutdown); ``immediate`` is a crash."""
        self._as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                          check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        """Stop it (a crash: nothing to keep) and remove its files."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
