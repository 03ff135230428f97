"""The handbook's first-responder and post-resolution steps, kept per incident."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.checklists.models import ChecklistItem, ItemState, Phase
from warroom.core.actor import Actor
from warroom.core.errors import NotFound, ValidationFailed
from warroom.incidents.models import Incident
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    phase: Phase
    required: bool


# Keys are stable: later features (paging, comms, postmortems, GitHub) tick them by key.
ACKNOWLEDGE_REPORTER = "acknowledge_reporter"
DECLARED = "declared"
PAGED = "paged"
ROLES_IDENTIFIED = "roles_identified"
STATUS_CLOSED = "status_closed"
COMMS_CONFIRMED = "comms_confirmed"
GITHUB_ISSUES_UPDATED = "github_issues_updated"
POSTMORTEM_GENERATED = "postmortem_generated"
RETROSPECTIVE_SCHEDULED = "retrospective_scheduled"
FOLLOWUPS_CREATED = "followups_created"
ROOM_ARCHIVED = "room_archived"

# Closing the incident ticks these itself, so they never block it.
TICKED_BY_CLOSE = (STATUS_CLOSED, ROOM_ARCHIVED)


def handbook_steps(incident: Incident) -> list[Step]:
    first = Phase.first_response
    after = Phase.post_resolution
    return [
        Step(ACKNOWLEDGE_REPORTER, "If reported from outside: acknowledge that the incident is being handled",
             first, bool(incident.external_reporter)),
        Step(DECLARED, "Start a new incident (description and severity set)", first, True),
        Step(PAGED, "Page someone who can help (if you are not in product, engineering or support)",
             first, False),
        Step(ROLES_IDENTIFIED, "Identify the incident lead (and messenger for customer impact)", first, True),
        Step(STATUS_CLOSED, "Update the incident status and close it", after, True),
        Step(COMMS_CONFIRMED, "Confirm the messenger updated customer channels, threads and social posts",
             after, incident.customer_impact),
        Step(GITHUB_ISSUES_UPDATED, "Update and close any relevant public GitHub issues", after, True),
        Step(POSTMORTEM_GENERATED, "Generate a postmortem and publish it", after, True),
        Step(RETROSPECTIVE_SCHEDULED, "Schedule a retrospective if you think it would be valuable", after, False),
        Step(FOLLOWUPS_CREATED, "Create follow-ups, each attached to a GitHub issue", after, True),
        Step(ROOM_ARCHIVED, "Archive the incident room", after, True),
    ]


def create_handbook_items(*, db: Session, incident: Incident, actor: Actor) -> None:
    """The handbook's steps; "declared" is done by the declaration that creates them (one multi-row insert)."""
    now = actor.clock.now()
    rows = [
        {"incident_id": incident.id, "key": s.key, "label": s.label, "phase": s.phase, "required": s.required,
         "position": i, "state": ItemState.done if s.key == DECLARED else ItemState.open,
         "done_by_id": actor.user_id if s.key == DECLARED else None, "done_at": now if s.key == DECLARED else None}
        for i, s in enumerate(handbook_steps(incident))
    ]
    db.execute(sa.insert(ChecklistItem), rows)


def list_items(*, db: Session, incident_id: int) -> list[ChecklistItem]:
    query = (sa.select(ChecklistItem).where(ChecklistItem.incident_id == incident_id)
             .order_by(ChecklistItem.position, ChecklistItem.id))
    return list(db.scalars(query))


def list_items_with_people(*, db: Session, incident_id: int) -> list[tuple[ChecklistItem, str | None]]:
    """Items with the handle of whoever settled each, in one query."""
    query = (sa.select(ChecklistItem, User.handle).outerjoin(User, User.id == ChecklistItem.done_by_id)
             .where(ChecklistItem.incident_id == incident_id).order_by(ChecklistItem.position, ChecklistItem.id))
    return [(item, handle) for item, handle in db.execute(query)]


def get_item(*, db: Session, incident_id: int, key: str) -> ChecklistItem:
    item = db.scalar(sa.select(ChecklistItem).where(
        ChecklistItem.incident_id == incident_id, ChecklistItem.key == key))
    if item is None:
        keys = ", ".join(i.key for i in list_items(db=db, incident_id=incident_id))
        raise NotFound(f"No checklist item '{key}' on INC-{incident_id}. Items: {keys}.", field="key")
    return item


def set_item_state(
    *, db: Session, incident: Incident, actor: Actor, key: str, state: ItemState, note: str = ""
) -> ChecklistItem:
    item = get_item(db=db, incident_id=incident.id, key=key)
    if state is ItemState.skipped and not note.strip():
        raise ValidationFailed("Say why this step does not apply when you skip it.", field="note")
    if item.state is state and item.note == note.strip():
        return item
    item.state = state
    item.note = note.strip()
    item.done_by_id = actor.user_id if state is not ItemState.open else None
    item.done_at = actor.clock.now() if state is not ItemState.open else None
    verb = {ItemState.done: "ticked", ItemState.skipped: "skipped", ItemState.open: "reopened"}[state]
    text = f"Checklist: {verb} “{item.label}”" + (f" — {item.note}" if item.note else "")
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.checklist, body=text,
                       key=key, state=state.value)
    return item


def tick_if_open(*, db: Session, incident: Incident, actor: Actor, key: str) -> None:
    """Tick a step a flow has just done, unless someone already settled it."""
    item = db.scalar(sa.select(ChecklistItem).where(
        ChecklistItem.incident_id == incident.id, ChecklistItem.key == key))
    if item is not None and not item.is_settled:
        set_item_state(db=db, incident=incident, actor=actor, key=key, state=ItemState.done)


def set_required(*, db: Session, incident_id: int, key: str, required: bool) -> None:
    item = db.scalar(sa.select(ChecklistItem).where(
        ChecklistItem.incident_id == incident_id, ChecklistItem.key == key))
    if item is not None:
        item.required = required


def missing_for_close(items: list[ChecklistItem]) -> list[ChecklistItem]:
    return [i for i in items if i.required and not i.is_settled and i.key not in TICKED_BY_CLOSE]
