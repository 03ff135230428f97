"""`/incident retrospective <YYYY-MM-DD HH:MM> [minutes]`: schedule (or move) the retrospective from the room."""

from __future__ import annotations

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.incidents.flows import Outcome
from warroom.retrospectives import service as retrospectives
from warroom.retrospectives.models import RetrospectiveStatus

USAGE = "/incident retrospective <YYYY-MM-DD HH:MM> [minutes] | --cancel"


def split_when(text: str) -> tuple[str, str | None]:
    """``2026-12-01 15:00 45`` → (``2026-12-01 15:00``, ``45``); the minutes are the last word when it is a number."""
    words = text.split()
    if len(words) >= 2 and is_count(words[-1]):
        return " ".join(words[:-1]), words[-1]
    return " ".join(words), None


def retrospective_command(*, db: Session, actor: Actor, ref: str, text: str, cancel: bool = False) -> Outcome:
    if cancel:
        if text.strip():
            raise ValidationFailed(f"--cancel takes no time. Usage: {USAGE}", field="text")
        retrospectives.cancel(db=db, actor=actor, ref=ref)
        incident = incidents.get_incident(db=db, ref=ref)
        return Outcome(incident, f"{incident.ref}'s retrospective is cancelled; attendees are told")
    when, minutes = split_when(text)
    if not when:
        raise ValidationFailed(f"Say when the retrospective is, e.g. 2026-12-01 15:00 (UTC). Usage: {USAGE}",
                               field="starts_at")
    existing = retrospectives.find(db=db, actor=actor, ref=ref)
    if existing is not None and existing.retrospective.status is RetrospectiveStatus.scheduled:
        retro = retrospectives.reschedule(db=db, actor=actor, ref=ref, starts_at=when, minutes=minutes)
        verb = "moved to"
    else:
        retro = retrospectives.schedule(db=db, actor=actor, ref=ref, starts_at=when,
                                        minutes=minutes or retrospectives.DEFAULT_MINUTES)
        verb = "scheduled for"
    db.flush()
    incident = incidents.get_incident(db=db, ref=ref)
    view = retrospectives.view_of(db, incident, retro)
    count = len(view.attendees)
    return Outcome(incident, f"Retrospective of {incident.ref} {verb} {retro.starts_at:%Y-%m-%d %H:%M} UTC "
                             f"({retro.duration_minutes} min); invites going to {count} "
                             f"{'person' if count == 1 else 'people'}",
                   data={"starts_at": retro.starts_at.isoformat(), "sequence": retro.sequence})
