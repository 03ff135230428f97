"""On-call API test helpers: the handbook's people with tokens, an on-call set-up made through the API, and
an engine run on the fake clock.

The set-up: team engineering (alice admin, bob, dan) with schedule eng-primary in Europe/Berlin — a weekly
rotation bob → dan handing off Mondays 09:00 — and policy eng-default: the schedule first, then alice after
5 minutes, then the schedule again after 10 (no repeat). carol is customer-support (no schedule); vic views.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, TokenScope, User
from warroom.core.clock import FakeClock
from warroom.runtime import Runtime

from ...api.conftest import Caller
from ...factories import Factory

MONDAY_0800_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET): bob's week starts
SCHEDULE = {"slug": "eng-primary", "name": "Engineering primary", "time_zone": "Europe/Berlin",
            "team": "engineering"}
LAYER = {"rotation": "weekly", "handoff_local": "2026-03-02T09:00", "participants": ["@bob", "@dan"]}
POLICY = {"slug": "eng-default", "name": "Engineering default", "team": "engineering", "repeat": 0,
          "steps": [{"delay_minutes": 5, "targets": [{"type": "schedule", "id": "eng-primary"}]},
                    {"delay_minutes": 10, "targets": [{"type": "user", "id": "@alice"}]},
                    {"delay_minutes": 10, "targets": [{"type": "schedule", "id": "eng-primary"}]}]}


@dataclass
class Org:
    alice: User  # admin, engineering
    bob: User  # responder, engineering
    dan: User  # responder, engineering
    carol: User  # responder, customer-support
    vic: User  # viewer
    as_alice: Caller
    as_bob: Caller
    as_dan: Caller
    as_carol: Caller
    as_vic: Caller


@pytest.fixture
def org(factory: Factory, client: TestClient, clock: FakeClock) -> Org:
    clock.set(MONDAY_0800_UTC)
    # API tokens only: no passwords to hash, which keeps a hundred set-ups quick.
    people = {
        "alice": factory.user("alice", AccessRole.admin, teams=("engineering",), password=None),
        "bob": factory.user("bob", teams=("engineering",), password=None),
        "dan": factory.user("dan", teams=("engineering",), password=None),
        "carol": factory.user("carol", teams=("customer-support",), password=None),
        "vic": factory.user("vic", AccessRole.viewer, password=None),
    }
    scopes = {"alice": TokenScope.admin, "vic": TokenScope.read}
    callers = {name: Caller(client, factory.token(user, scopes.get(name, TokenScope.write)))
               for name, user in people.items()}
    return Org(**people, **{f"as_{name}": caller for name, caller in callers.items()})


def set_up_on_call(caller: Caller) -> dict[str, Any]:
    """Schedule, layer and policy through the API, as an admin would."""
    schedule = caller.ok("post", "/schedules", SCHEDULE, status=201)
    layer = caller.ok("post", "/schedules/eng-primary/layers", LAYER, status=201)
    policy = caller.ok("post", "/escalation-policies", POLICY, status=201)
    return {"schedule": schedule, "layer": layer, "policy": policy}


@pytest.fixture
def on_call(org: Org) -> dict[str, Any]:
    return set_up_on_call(org.as_alice)


class EngineRun:
    """The real engine, ticked once a (fake) minute."""

    def __init__(self, runtime: Runtime, clock: FakeClock) -> None:
        self.engine = runtime.engine()
        self.clock = clock

    def run_for(self, minutes: int) -> None:
        end = self.clock.now() + timedelta(minutes=minutes)
        self.engine.tick()
        while self.clock.now() < end:
            self.clock.advance(timedelta(minutes=1))
            self.engine.tick()


@pytest.fixture
def engine(runtime: Runtime, clock: FakeClock) -> EngineRun:
    return EngineRun(runtime, clock)


def paged(caller: Caller, alert_id: int) -> list[str]:
    """Who the alert's delivery records are for, in order."""
    return [d["user"] for d in caller.ok("get", f"/alerts/{alert_id}")["deliveries"]]
