"""`/incident github owner/name#12 [--close]`: link a public GitHub issue from the room."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.incidents import service as incidents
from warroom.incidents.flows import Outcome
from warroom.related_issues import service as related


def github_command(*, db: Session, actor: Actor, ref: str, text: str, close: bool = False) -> Outcome:
    row = related.link(db=db, actor=actor, ref=ref, issue=text, close_on_resolve=close)
    incident = incidents.get_incident(db=db, ref=ref)
    then = "comment the resolution and close it" if close else "comment the resolution"
    when = "now (it is resolved)" if related.is_resolved(incident) else "when it resolves"
    return Outcome(incident, f"Linked {row.repository}#{row.number} to {incident.ref}; Warroom will {then} {when}",
                   data={"issue": f"{row.repository}#{row.number}"})
