"""Helpers for the compatibility surfaces: integration keys, a live Warroom on a port, row snapshots.

``stored(runtime)`` reads every row of every table, so a refused request can be shown to have written
nothing at all. ``live_warroom`` serves the real app with uvicorn in a thread on a free loopback port, for
tests that need real HTTP (concurrency, a real Alertmanager).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn

import warroom.db.models  # noqa: F401  (registers every table on the metadata)
from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, TokenScope
from warroom.api.app import create_app
from warroom.db.base import Base
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.oncall.escalation import policies
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.runtime import Runtime

from ..factories import Factory

VOLATILE = {("api_tokens", "last_used_at")}


def stored(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with runtime.database.reading() as db:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in db.execute(query)]
    return state


def alerts_of(runtime: Runtime) -> list[Alert]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(Alert).order_by(Alert.id)))


def first_steps(runtime: Runtime, alert_id: int | None = None) -> list[AlertEvent]:
    """The first escalation step, run once in the transaction that opens an alert: it paged, or found nobody."""
    with runtime.database.reading() as db:
        query = (sa.select(AlertEvent).where(AlertEvent.kind.in_(("escalated", "unrouted")))
                 .order_by(AlertEvent.id))
        events = list(db.scalars(query))
    return [e for e in events if alert_id is None or e.alert_id == alert_id]


@dataclass
class Keys:
    """Integration keys made through the real service, as an admin would."""

    runtime: Runtime
    factory: Factory

    def make(self, kind: KeyKind | str, *, name: str = "", team: str | None = None, policy: str | None = None,
             dedup_per_alert: bool = False) -> str:
        kind = KeyKind(kind)
        with self.runtime.database.writing() as db:
            found_team = accounts.find_team(db=db, name=team) if team else None
            if team and found_team is None:
                found_team = accounts.create_team(db=db, actor=self.factory.system, slug=team, name=team)
            found_policy = keys.find_policy(db=db, ref=policy) if policy else None
            made = keys.create_key(db=db, actor=self.factory.system, name=name or f"{kind.value}-tool", kind=kind,
                                   team=found_team, escalation_policy=found_policy, dedup_per_alert=dedup_per_alert)
            return made.secret

    def policy(self, slug: str, *, team: str, steps: list[tuple[int, list[dict[str, Any]]]]) -> int:
        with self.runtime.database.writing() as db:
            found = accounts.find_team(db=db, name=team)
            plan = [{"delay_minutes": delay, "targets": targets} for delay, targets in steps]
            return policies.create_policy(db=db, actor=self.factory.system, slug=slug, name=slug, steps=plan,
                                          team=found).id


@pytest.fixture
def integration_keys(runtime: Runtime, factory: Factory) -> Keys:
    return Keys(runtime, factory)


@pytest.fixture
def admin_token(factory: Factory) -> str:
    return factory.token(factory.user("alice", AccessRole.admin, teams=("engineering",)), TokenScope.admin)


def team_id(runtime: Runtime, slug: str) -> int:
    with runtime.database.reading() as db:
        team = db.scalar(sa.select(Team).where(Team.slug == slug))
        assert team is not None
        return team.id


@dataclass
class LiveWarroom:
    base_url: str
    server: uvicorn.Server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], *, seconds: float, what: str, every: float = 0.1) -> None:
    """Poll ``check`` until it holds; fail after ``seconds`` naming what never happened."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f}s waiting for: {what}")


@pytest.fixture
def live_warroom(runtime: Runtime) -> Iterator[LiveWarroom]:
    """The real app served by uvicorn on a free 127.0.0.1 port, in a thread (engine not running)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(runtime, run_engine=False), log_level="warning", access_log=False,
                            timeout_keep_alive=30, backlog=2048)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="warroom-live", daemon=True)
    thread.start()
    wait_until(lambda: server.started, seconds=20, what="uvicorn to start")
    try:
        yield LiveWarroom(f"http://127.0.0.1:{port}", server)
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()
