"""Recent changes on a service: recorded as tools report them, read back per service, team or incident.

A change comes with an integration key, which stands for the service it was made to (the key's name, as a
PagerDuty integration key belongs to one service). An incident touches a service when the service is among its
affected services or when an alert raised with that service's key is attached to it. A change arriving while
such an incident is open writes a line in its timeline, so the room sees it live; the changes from shortly
before the incident was declared are read back for the room ("what changed just before this broke").

Takes a session; commits nothing. Who may read an incident's changes is the incident's rule (ADR 0004).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import Team
from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Status
from warroom.oncall.alerts.models import Alert
from warroom.oncall.changes.models import ChangeEvent
from warroom.oncall.keys.models import IntegrationKey
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

# How far before an incident was declared its changes are shown: a bad deploy is usually hours old, not days.
LOOKBACK = timedelta(hours=24)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
OPEN_STATUSES = (Status.investigating, Status.identified, Status.monitoring)
MAX_SERVICE = 200


@dataclass
class NewChange:
    """A change as a tool reports it."""

    summary: str
    source: str = ""
    happened_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)


def service_of(key: IntegrationKey) -> str:
    """The service a key's changes are made to: its name, compared without case."""
    return service_name(key.name)


def service_name(name: str) -> str:
    return " ".join(name.split()).lower()[:MAX_SERVICE]


def record_change(*, db: Session, key: IntegrationKey, change: NewChange, actor: Actor) -> ChangeEvent:
    """Keep the change, and tell every open incident touching its service, in that incident's timeline."""
    now = actor.clock.now()
    row = ChangeEvent(service=service_of(key), summary=change.summary, source=change.source,
                      happened_at=change.happened_at or now, received_at=now, details=change.details,
                      links=change.links, integration_key_id=key.id, team_id=key.team_id)
    db.add(row)
    db.flush()
    system = Actor.system(actor.clock)
    for incident in open_incidents_touching(db=db, service=row.service, key_id=key.id):
        timeline.add_entry(db=db, incident=incident, actor=system, kind=EntryKind.system,
                           body=f"Change on {row.service}: {row.summary}", change_event_id=row.id,
                           service=row.service, source=row.source, links=row.links)
    return row


def open_incidents_touching(*, db: Session, service: str, key_id: int | None = None) -> list[Incident]:
    """Open incidents naming the service among their affected services, or holding an alert of its key."""
    by_alert: set[int] = set()
    if key_id is not None:
        by_alert = set(db.scalars(sa.select(Alert.incident_id).where(
            Alert.integration_key_id == key_id, Alert.incident_id.is_not(None))))
    found = db.scalars(sa.select(Incident).where(Incident.status.in_(OPEN_STATUSES)).order_by(Incident.id))
    return [i for i in found if i.id in by_alert or service in {service_name(s) for s in i.affected_services}]


def list_changes(*, db: Session, service: str = "", team: str = "", since: datetime | None = None,
                 limit: int = DEFAULT_LIMIT) -> list[ChangeEvent]:
    """Changes, newest first: of one service, of one team's keys, or all."""
    query = sa.select(ChangeEvent)
    if service.strip():
        query = query.where(ChangeEvent.service == service_name(service))
    if team.strip():
        query = query.where(ChangeEvent.team_id == _team_id(db, team))
    if since is not None:
        query = query.where(ChangeEvent.happened_at >= since)
    return list(db.scalars(query.order_by(ChangeEvent.happened_at.desc(), ChangeEvent.id.desc())
                          .limit(min(max(limit, 1), MAX_LIMIT))))


def _team_id(db: Session, team: str) -> int:
    slug = team.strip().lstrip("@").lower()
    found = db.scalar(sa.select(Team.id).where(sa.or_(sa.func.lower(Team.slug) == slug,
                                                      sa.func.lower(Team.name) == slug)))
    if found is None:
        raise NotFound(f"No team '{team.strip()}'.", field="team")
    return found


@dataclass(frozen=True)
class IncidentChanges:
    """The changes on the services an incident touches, from LOOKBACK before it was declared until now."""

    incident: Incident
    services: list[str]
    changes: list[ChangeEvent]

    def before(self) -> list[ChangeEvent]:
        """Changes made before the incident was declared: the first suspects."""
        return [c for c in self.changes if c.happened_at <= self.incident.declared_at]

    def during(self) -> list[ChangeEvent]:
        return [c for c in self.changes if c.happened_at > self.incident.declared_at]


def for_incident(*, db: Session, actor: Actor, ref: str | int, limit: int = DEFAULT_LIMIT) -> IncidentChanges:
    """The incident's recent changes, for those who may see the incident (anyone else: it does not exist)."""
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return changes_of(db=db, incident=incident, limit=limit)


def changes_of(*, db: Session, incident: Incident, limit: int = DEFAULT_LIMIT) -> IncidentChanges:
    keys = db.execute(sa.select(IntegrationKey.id, IntegrationKey.name).join(
        Alert, Alert.integration_key_id == IntegrationKey.id).where(Alert.incident_id == incident.id)).all()
    services = sorted({service_name(s) for s in incident.affected_services if s.strip()}
                      | {service_name(name) for _, name in keys})
    if not services:
        return IncidentChanges(incident, [], [])
    touching = sa.or_(ChangeEvent.service.in_(services), ChangeEvent.integration_key_id.in_([k for k, _ in keys]))
    query = (sa.select(ChangeEvent).where(touching, ChangeEvent.happened_at >= incident.declared_at - LOOKBACK)
             .order_by(ChangeEvent.happened_at.desc(), ChangeEvent.id.desc()).limit(min(max(limit, 1), MAX_LIMIT)))
    return IncidentChanges(incident, services, list(db.scalars(query)))
