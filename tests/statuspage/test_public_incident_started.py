"""A public incident started when the incident did, not when its first update was published."""

from __future__ import annotations

from datetime import UTC, timedelta

import sqlalchemy as sa

from warroom.incidents.models import Incident
from warroom.statuspage.models import PublicIncident

from .conftest import open_incident, publish


def test_started_is_the_incidents_own_start_on_every_surface(runtime, org, anonymous, site, clock):
    room = open_incident(runtime, org)
    with runtime.database.reading() as db:
        declared = db.get(Incident, room.incident_id).declared_at.astimezone(UTC)
    clock.advance(timedelta(minutes=45))  # the messenger writes the first public update later
    publish(runtime, org.actor(org.carol), room.ref, title="Search outage", body="Searches fail.")
    [shown] = anonymous.get("/status/acme.json").json()["incidents"]
    assert shown["started_at"] == declared.isoformat()
    started = f'Started <time datetime="{declared.isoformat()}">{declared:%Y-%m-%d %H:%M} UTC</time>'
    assert started in anonymous.get("/status/acme").text

    clock.advance(timedelta(minutes=30))
    publish(runtime, org.actor(org.carol), room.ref, status="resolved", title="Search outage", body="Fixed.")
    with runtime.database.reading() as db:
        [public] = db.scalars(sa.select(PublicIncident).where(PublicIncident.incident_id == room.incident_id))
        assert public.started_at.astimezone(UTC) == declared
        assert public.resolved_at.astimezone(UTC) == declared + timedelta(minutes=75)
    page = anonymous.get("/status/acme/history").text
    assert started in page
