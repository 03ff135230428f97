"""A hand-made history of incidents with known times, and the figures worked out by hand for it.

Now is Wednesday 2026-01-21 12:00 UTC; a three-week window starts Monday 2026-01-05. Every incident is built
through the real flows with the FakeClock set to the moment each step happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.factories import Factory
from warroom.accounts.models import AccessRole, User
from warroom.core.clock import FakeClock
from warroom.followups import service as followups
from warroom.incidents import flows
from warroom.runtime import Runtime

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class History:
    runtime: Runtime
    factory: Factory
    clock: FakeClock
    alice: User
    bob: User
    ada: User
    victor: User
    refs: dict[str, str]

    def step(self, when: str, user: User, do: str, **kwargs: object) -> object:
        self.clock.set(at(when))
        actor = self.factory.actor(user)
        with self.runtime.database.writing() as db:
            if do in ("create_followup", "update_followup"):
                return getattr(followups, do)(db=db, actor=actor, **kwargs)
            return getattr(flows, do)(db=db, actor=actor, **kwargs)

    def incident(self, name: str, when: str, reporter: User, severity: str, services: list[str],
                 security: bool = False) -> str:
        self.clock.set(at(when))
        incident = self.factory.incident(reporter, title=f"Incident {name}", severity=severity,
                                         affected_services=services, security=security)
        self.refs[name] = incident.ref
        return incident.ref

    def acknowledged(self, ref: str, when: str, lead: User) -> None:
        self.step(when, lead, "assign_role", ref=ref, role="lead", who=f"@{lead.handle}")
        self.step(when, lead, "acknowledge", ref=ref)


def build(runtime: Runtime, factory: Factory, clock: FakeClock) -> History:
    clock.set(at("2025-12-01 09:00"))
    alice = factory.user("alice")
    bob = factory.user("bob", teams=("platform",))
    ada = factory.user("ada", AccessRole.admin)
    victor = factory.user("victor", AccessRole.viewer)
    h = History(runtime, factory, clock, alice, bob, ada, victor, {})

    # Before the window: counts nowhere but in "overdue now" (its follow-up F0).
    i0 = h.incident("I0", "2025-12-29 10:00", alice, "major", ["billing"])
    h.step("2025-12-30 10:00", alice, "create_followup", ref=i0, text="F0 rotate keys", owner="@alice",
           due="2026-01-01")

    # Week of 2026-01-05.
    i1 = h.incident("I1", "2026-01-05 10:00", alice, "critical", ["search", "api"])
    h.acknowledged(i1, "2026-01-05 10:30", alice)
    h.step("2026-01-05 11:00", alice, "set_status", ref=i1, status="identified")
    h.step("2026-01-05 12:00", alice, "resolve_incident", ref=i1)
    h.step("2026-01-05 14:00", ada, "close_incident", ref=i1, reason="fixture: steps not needed")
    h.step("2026-01-05 15:00", alice, "create_followup", ref=i1, text="F1 add an alert", owner="@alice",
           due="2026-01-10")
    h.step("2026-01-05 15:00", alice, "create_followup", ref=i1, text="F2 write the runbook", owner="@bob",
           due="2026-01-15")
    i2 = h.incident("I2", "2026-01-06 09:00", alice, "major", ["search"])
    h.acknowledged(i2, "2026-01-06 10:00", alice)
    h.step("2026-01-06 13:00", alice, "resolve_incident", ref=i2, false_positive=True)
    i3 = h.incident("I3", "2026-01-07 08:00", alice, "major", [])
    h.step("2026-01-07 09:00", alice, "resolve_incident", ref=i3)
    h.step("2026-01-08 10:00", alice, "update_followup", followup_id=2, status="done")  # F1 (F0 is #1)

    # Week of 2026-01-12.
    i4 = h.incident("I4", "2026-01-12 09:00", bob, "critical", ["api", "db"])
    h.acknowledged(i4, "2026-01-12 09:15", bob)
    h.step("2026-01-12 09:45", bob, "set_status", ref=i4, status="identified")
    h.step("2026-01-12 10:15", bob, "set_status", ref=i4, status="monitoring")
    h.step("2026-01-12 11:00", bob, "resolve_incident", ref=i4)
    h.step("2026-01-12 12:00", bob, "create_followup", ref=i4, text="F3 shard the table", owner="@bob",
           due="2026-01-30")
    h.step("2026-01-12 12:00", bob, "create_followup", ref=i4, text="F4 capacity review", owner="@bob")
    i5 = h.incident("I5", "2026-01-13 12:00", alice, "critical", ["vault"], security=True)
    h.acknowledged(i5, "2026-01-13 13:00", alice)
    h.step("2026-01-13 15:00", alice, "resolve_incident", ref=i5, false_positive=True)
    i6 = h.incident("I6", "2026-01-14 00:00", alice, "major", ["search"])
    h.acknowledged(i6, "2026-01-14 02:00", alice)
    h.step("2026-01-14 03:00", alice, "create_followup", ref=i6, text="F5 tune the cache", due="2026-01-20")

    # Week of 2026-01-19.
    i7 = h.incident("I7", "2026-01-19 06:00", bob, "major", ["api"])
    h.step("2026-01-20 06:00", bob, "set_status", ref=i7, status="identified")
    h.step("2026-01-19 10:00", bob, "update_followup", followup_id=4, status="done")  # F3
    i8 = h.incident("I8", "2026-01-20 12:00", alice, "critical", ["search", "api"])
    h.acknowledged(i8, "2026-01-20 12:06", alice)
    h.step("2026-01-20 18:00", alice, "resolve_incident", ref=i8)
    clock.set(NOW)
    return h


@pytest.fixture
def history(runtime: Runtime, factory: Factory, clock: FakeClock) -> History:
    return build(runtime, factory, clock)
