"""What the API shows of a change, and of an incident's changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from warroom.oncall.changes.models import ChangeEvent
from warroom.oncall.changes.service import IncidentChanges


class ChangeOut(BaseModel):
    id: int
    service: str
    summary: str
    source: str
    happened_at: datetime
    received_at: datetime
    details: dict[str, Any]
    links: list[dict[str, Any]]

    @classmethod
    def of(cls, change: ChangeEvent) -> ChangeOut:
        return cls(id=change.id, service=change.service, summary=change.summary, source=change.source,
                   happened_at=change.happened_at, received_at=change.received_at, details=change.details,
                   links=change.links)


class ChangeList(BaseModel):
    items: list[ChangeOut]


class IncidentChangesOut(BaseModel):
    """The changes on the services an incident touches: made before it was declared (the first suspects), and
    since."""

    incident: str
    services: list[str]
    before: list[ChangeOut]
    during: list[ChangeOut]

    @classmethod
    def of(cls, found: IncidentChanges) -> IncidentChangesOut:
        return cls(incident=found.incident.ref, services=found.services,
                   before=[ChangeOut.of(c) for c in found.before()],
                   during=[ChangeOut.of(c) for c in found.during()])
