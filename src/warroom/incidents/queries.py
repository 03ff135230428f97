"""Incidents as a person may read them: the read shapes the REST API, the web pages and the live streams share.

A private security incident is "not found" to anyone who may not see it, with exactly the answer a missing
incident gets, so its existence does not leak (ADR 0004). Lists of incidents are ``dashboard.list_incidents``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.incidents import service, visibility
from warroom.incidents.models import Incident


def visible_incident(*, db: Session, actor: Actor, ref: str | int) -> Incident:
    """The incident named (INC-42 or 42), if this person may see it; otherwise the 404 of a missing one."""
    incident = service.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident
