"""`/incident postmortem`: generate the postmortem if there is none yet, and answer with its page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.flows import Outcome
from warroom.postmortems import service as postmortems


def postmortem_command(*, db: Session, actor: Actor, ref: str) -> Outcome:
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    link = f"/incidents/{incident.ref}/postmortem"
    existing = postmortems.find_for_incident(db=db, incident_id=incident.id)
    if existing is not None:
        state = postmortems.STATE_WORDS[existing.state]
        return Outcome(incident, f"The postmortem of {incident.ref} is {state}: {link}",
                       data={"url": link, "state": existing.state.value, "generated": False})
    made = postmortems.generate(db=db, actor=actor, ref=incident.id)
    return Outcome(incident, f"Postmortem drafted for {incident.ref}: edit it, then send it for review at {link}",
                   data={"url": link, "state": made.state.value, "generated": True})
