"""On-call web UI fixtures: the web UI's signed-in browsers, plus a schedule and alerts made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.audit.models import AuditEntry
from warroom.core.actor import Actor
from warroom.notifications.models import ContactMethod, Notification, NotificationRule
from warroom.oncall import paging
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.oncall.keys.models import IntegrationKey
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ...factories import Factory
from ...web.conftest import (  # noqa: F401  (fixtures, registered by importing them)
    DESKTOP,
    PHONE,
    People,
    WebUser,
    browser,
    chromium,
    live_server,
    no_sideways_scroll,
    people,
    signed_in,
)

ZONE = "Europe/Berlin"
HANDOFF = "2026-01-05T09:00"  # Monday 09:00 in Berlin: 08:00 UTC, an hour before the test clock's start


@dataclass(frozen=True)
class Written:
    """How much of everything the on-call pages can write: an error path leaves all of it unchanged."""

    alerts: int
    alert_events: int
    notifications: int
    schedules: int
    layers: int
    overrides: int
    contact_methods: int
    rules: int
    keys: int
    timeline: int
    audit: int


def written(runtime: Runtime) -> Written:
    tables = (Alert, AlertEvent, Notification, Schedule, ScheduleLayer, ScheduleOverride, ContactMethod,
              NotificationRule, IntegrationKey, TimelineEntry, AuditEntry)
    with runtime.database.reading() as db:
        return Written(*(int(db.scalar(sa.select(sa.func.count()).select_from(t)) or 0) for t in tables))


def load_alert(runtime: Runtime, alert_id: int) -> Alert:
    with runtime.database.reading() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None
        return alert


def event_kinds(runtime: Runtime, alert_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id)
                               .order_by(AlertEvent.id)))


@pytest.fixture
def schedule(runtime: Runtime, people: People) -> Schedule:  # noqa: F811  (the imported fixture, by name)
    """Platform primary (team engineering, Berlin): a weekly rotation, alice then bob, handing off Mondays 09:00."""
    system = Actor.system(runtime.clock)
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        made = schedules.create_schedule(db=db, actor=system, slug="platform-primary", name="Platform primary",
                                         time_zone=ZONE, team=team)
        schedules.add_layer(db=db, actor=system, schedule=made, rotation="weekly", handoff_local=HANDOFF,
                            participants=["@alice", "@bob"], name="Weekly")
        return made


def page_team(runtime: Runtime, factory: Factory, who: object, description: str = "Checkout is down",
              target: str = "engineering", incident: str | None = None) -> int:
    """Page as someone would from /oncall, through the paging flow; returns the alert id."""
    with runtime.database.writing() as db:
        return paging.page(db=db, actor=factory.actor(who), description=description,  # type: ignore[arg-type]
                           target=target, incident_ref=incident).alert_id


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
