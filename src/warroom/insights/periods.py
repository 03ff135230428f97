"""Keep the incident's status periods in step with its status (called by the incident flows)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.incidents.models import Incident, Status
from warroom.insights.models import StatusPeriod

TIMED = (Status.investigating, Status.identified, Status.monitoring, Status.resolved)


def status_changed(*, db: Session, incident: Incident, after: Status, at: datetime) -> None:
    """End the incident's current period and start one in ``after`` (closed is the end: no new period)."""
    current = db.scalar(sa.select(StatusPeriod).where(StatusPeriod.incident_id == incident.id,
                                                      StatusPeriod.ended_at.is_(None)))
    if current is not None:
        if current.status is after:
            return
        current.ended_at = at
        current.seconds = max(0, int((at - current.started_at).total_seconds()))
    if after in TIMED:
        db.add(StatusPeriod(incident_id=incident.id, status=after, started_at=at, ended_at=None, seconds=None))
