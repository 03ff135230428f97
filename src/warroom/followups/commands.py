"""`/incident followup <text> [@owner]`: a follow-up from the room."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.followups import service as followups
from warroom.incidents import service as incidents
from warroom.incidents.flows import Outcome


def split_owner(text: str) -> tuple[str, str]:
    """The last word names the owner when it is an @handle: ``Fix the alert @bob`` → (``Fix the alert``, ``@bob``)."""
    words = text.split()
    if len(words) >= 2 and words[-1].startswith("@") and len(words[-1]) > 1:
        return " ".join(words[:-1]), words[-1]
    return text, ""


def followup_command(*, db: Session, actor: Actor, ref: str, text: str, due: str = "",
                     priority: str = "medium") -> Outcome:
    what, owner = split_owner(text)
    followup = followups.create_followup(db=db, actor=actor, ref=ref, text=what, owner=owner, due=due,
                                         priority=priority)
    db.flush()
    incident = incidents.get_incident(db=db, ref=ref)
    who = f" for {owner}" if owner else ""
    return Outcome(incident, f"Follow-up #{followup.id} added{who}: {followup.text}",
                   data={"followup_id": followup.id})
