"""Helpers for the compatibility surfaces: integration keys, a live Warroom on a port, row snapshots.

``stored(runtime)`` (tests.support) reads every row of every table, so a refused request can be shown to have
written nothing at all. ``live_warroom`` serves the real app with uvicorn in a thread on a free loopback port, for
tests that need real HTTP (concurrency, a real Alertmanager).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, TokenScope
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.oncall.escalation import policies
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.runtime import Runtime

from ..factories import Factory
from ..support import LiveServer, free_port, live_server, stored, wait_until  # noqa: F401  (tests import them here)


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


@pytest.fixture
def live_warroom(runtime: Runtime) -> Iterator[LiveServer]:
    """The real app served by uvicorn on a free 127.0.0.1 port, in a thread (engine not running)."""
    with live_server(runtime, access_log=False, timeout_keep_alive=30, backlog=2048) as live:
        yield live
