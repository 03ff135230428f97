"""Private security incidents: the people on each side of the rule, and a public and a private incident.

INC-1 "Search is slow" is public, declared by rita. INC-2 is a security incident declared by bob: private
from its first moment. bob (its reporter), sam (the security team) and alice (admin) see INC-2; rita (a
responder taking no part in it) and vic (a viewer) must not learn it exists. erin takes part in nothing
until someone adds her.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, TokenScope, User
from warroom.announcements.models import Announcement
from warroom.audit.models import AuditEntry
from warroom.checklists.models import ChecklistItem
from warroom.engine.models import Job
from warroom.incidents.models import Incident, IncidentParticipant
from warroom.oncall.alerts.models import Alert
from warroom.playbooks.models import IncidentPlaybook
from warroom.roles.models import RoleAssignment
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..api.conftest import Caller
from ..cli.conftest import cli, remote, server  # noqa: F401  (fixtures, registered by importing them)
from ..factories import Factory
from ..web.conftest import browser  # noqa: F401  (fixture, registered by importing it)

SECRET = "Leaked deploy key in the public mirror"
ROOM_SECRET = "rotated the key hunter2-pattern"
PUBLIC = "Search is slow"
SEES = ("bob", "sam", "alice")
BLIND = ("rita", "vic")
# What any change could touch: a refused request must leave every one of these rows as it was.
WATCHED = (Incident, IncidentParticipant, TimelineEntry, AuditEntry, Announcement, Job, ChecklistItem,
           IncidentPlaybook, RoleAssignment, Alert)


@dataclass
class Cast:
    alice: User  # admin
    bob: User  # responder: reports the private incident
    sam: User  # responder in the security team
    rita: User  # responder taking no part in the private incident
    erin: User  # responder, added later
    vic: User  # viewer

    def __getitem__(self, handle: str) -> User:
        user: User = getattr(self, handle)
        return user


@pytest.fixture
def cast(factory: Factory) -> Cast:
    return Cast(
        alice=factory.user("alice", AccessRole.admin, teams=("engineering",)),
        bob=factory.user("bob", teams=("engineering",)),
        sam=factory.user("sam", teams=("security",)),
        rita=factory.user("rita", teams=("engineering",)),
        erin=factory.user("erin", teams=("marketing",)),
        vic=factory.user("vic", AccessRole.viewer),
    )


@pytest.fixture
def incidents(factory: Factory, cast: Cast) -> tuple[Incident, Incident]:
    """INC-1 public (rita's), INC-2 private (bob's, security); the built-in playbooks are loaded."""
    factory.playbooks()
    public = factory.incident(cast.rita, title=PUBLIC, severity="major")
    private = factory.incident(cast.bob, title=SECRET, security=True,
                               description="The signing key was pushed to the public mirror.")
    return public, private


@pytest.fixture
def callers(factory: Factory, cast: Cast, client: TestClient) -> dict[str, Caller]:
    """Each person's API caller, with the token scope their access allows."""
    scopes = {AccessRole.admin: TokenScope.admin, AccessRole.responder: TokenScope.write,
              AccessRole.viewer: TokenScope.read}
    people = [cast.alice, cast.bob, cast.sam, cast.rita, cast.erin, cast.vic]
    return {u.handle: Caller(client, factory.token(u, scopes[u.access_role])) for u in people}


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a change to an incident could write, in primary-key order."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with runtime.database.reading() as db:
        for model in WATCHED:
            table = model.__table__
            state[table.name] = [tuple(r) for r in db.execute(sa.select(table).order_by(*table.primary_key))]
    return state


def same_but_number(missing: str, hidden: str) -> bool:
    """Two answers that differ only in the incident number: a hidden incident looks like a missing one."""
    return re.sub(r"\bINC-\d+|\b\d+\b", "N", missing) == re.sub(r"\bINC-\d+|\b\d+\b", "N", hidden)


def private_state(runtime: Runtime, ref: str) -> bool:
    with runtime.database.reading() as db:
        incident = db.get(Incident, int(ref.removeprefix("INC-")))
        assert incident is not None
        return incident.security


def participants(runtime: Runtime, incident_id: int) -> dict[str, str]:
    with runtime.database.reading() as db:
        rows = db.execute(sa.select(User.handle, IncidentParticipant.reason)
                          .join(User, User.id == IncidentParticipant.user_id)
                          .where(IncidentParticipant.incident_id == incident_id))
        return {str(row[0]): str(row[1]) for row in rows}
