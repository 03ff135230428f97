"""Status periods follow every status change, reopening included, and the upgrade rebuilds them from timelines."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.factories import Factory
from warroom.accounts.models import AccessRole
from warroom.core.clock import FakeClock
from warroom.db import migrate
from warroom.incidents import flows
from warroom.insights.models import StatusPeriod
from warroom.runtime import Runtime


def periods(runtime: Runtime) -> list[tuple[int, str, int | None, bool]]:
    with runtime.database.reading() as db:
        query = sa.select(StatusPeriod).order_by(StatusPeriod.incident_id, StatusPeriod.id)
        return [(p.incident_id, p.status.value, p.seconds, p.ended_at is None) for p in db.scalars(query)]


def test_periods_follow_status_changes_and_survive_a_rebuild(runtime: Runtime, factory: Factory,
                                                            clock: FakeClock) -> None:
    bob = factory.user("bob")
    ada = factory.user("ada", AccessRole.admin)
    incident = factory.incident(bob)
    steps = [(bob, "set_status", {"status": "identified"}), (bob, "set_status", {"status": "identified",
                                                                                  "text": "same, with a note"}),
             (bob, "resolve_incident", {}), (bob, "set_status", {"status": "investigating"}),  # reopened
             (bob, "resolve_incident", {"false_positive": True}), (ada, "close_incident", {"reason": "test"})]
    for minutes, (who, flow, kwargs) in zip((10, 15, 30, 40, 100, 160), steps, strict=True):
        clock.set(incident.declared_at + timedelta(minutes=minutes))
        with runtime.database.writing() as db:
            getattr(flows, flow)(db=db, actor=factory.actor(who), ref=incident.ref, **kwargs)
    other = factory.incident(bob, "Still open")
    expected = [(incident.id, "investigating", 600, False), (incident.id, "identified", 1200, False),
                (incident.id, "resolved", 600, False), (incident.id, "investigating", 3600, False),
                (incident.id, "resolved", 3600, False), (other.id, "investigating", None, True)]
    assert periods(runtime) == expected

    url = runtime.settings.resolved_database_url()
    runtime.database.dispose()
    migrate.downgrade(url, "0008")
    migrate.upgrade(url)
    assert periods(runtime) == expected
