"""Add someone to an incident by name: how a private security incident lets in the people it needs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.flows import Outcome
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind


def invite(*, db: Session, actor: Actor, ref: str | int, who: str) -> Outcome:
    """Anyone who can see the incident (and may respond) adds a person; the room and the audit log record it."""
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    if incident.is_archived:
        raise Conflict(f"{incident.ref} is closed and its room is archived (read-only); an admin can still "
                       "read it.")
    person = accounts.find_person(db=db, who=who)
    if not visibility.add_participant(db=db, actor=actor, incident=incident, user=person,
                                      reason=visibility.INVITED):
        return Outcome(incident, f"@{person.handle} is already part of {incident.ref}")
    private = visibility.is_private(incident)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Added @{person.handle} to this {'private ' if private else ''}incident",
                       participant=person.handle)
    audit.record(db=db, actor=actor, action="incident.invite", target_type="incident", target_id=incident.ref,
                 user=person.handle)
    warnings = []
    if person.access_role is AccessRole.viewer:
        warnings.append(f"@{person.handle} has viewer access: they can read {incident.ref} but not act in it.")
    return Outcome(incident, f"Added @{person.handle} to {incident.ref}", warnings)
