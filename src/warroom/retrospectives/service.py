"""Retrospectives: schedule one from the incident, reschedule it, cancel it; each change sends calendar invites.

The attendees are the incident's participants unless told otherwise (plus anyone named, and extra addresses).
A private security incident's retrospective invites its participants only. Every send is an engine job, one per
attendee, enqueued in the same transaction as the change; rescheduling raises the invite's SEQUENCE and sends it
again, cancelling sends METHOD:CANCEL. Scheduling ticks the "retrospective scheduled" checklist step.

Takes a session; commits nothing.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.checklists.models import ChecklistItem, ItemState
from warroom.checklists.service import RETROSPECTIVE_SCHEDULED
from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.engine import queue
from warroom.followups.models import FollowUp, FollowUpStatus
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.postmortems import service as postmortems
from warroom.retrospectives.models import Retrospective, RetrospectiveAttendee, RetrospectiveStatus
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind, TimelineEntry

INVITE_JOB = "retrospective_invite"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
DEFAULT_MINUTES = 60
MAX_MINUTES = 8 * 60
MAX_LOCATION = 500
MAX_AGENDA = 20_000
MAX_ATTENDEES = 200
EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


@dataclass(frozen=True)
class Invitee:
    user_id: int | None
    email: str
    name: str


@dataclass(frozen=True)
class RetrospectiveView:
    retrospective: Retrospective
    incident: Incident
    organiser: User | None
    attendees: list[RetrospectiveAttendee]  # the invited ones, removed ones left out
    handles: dict[int, str]  # user id → handle, for the attendees who are Warroom users

    @property
    def ends_at(self) -> datetime:
        r = self.retrospective
        return r.starts_at + timedelta(minutes=r.duration_minutes)


# Input ---------------------------------------------------------------------------------------------------


def parse_starts_at(value: str, now: datetime) -> datetime:
    """ISO 8601 with an offset, or without one (taken as UTC); must be in the future."""
    text = value.strip()
    if not text:
        raise ValidationFailed("Say when: give a start time like 2026-12-01T15:00 (UTC) or "
                               "2026-12-01T16:00+01:00.", field="starts_at")
    try:
        when = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise ValidationFailed(f"'{text}' is not a time; write it as YYYY-MM-DDTHH:MM (UTC), or with an offset "
                               "like 2026-12-01T16:00+01:00.", field="starts_at") from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when <= now:
        raise ValidationFailed(f"{when:%Y-%m-%d %H:%M} UTC is in the past (it is {now:%Y-%m-%d %H:%M} UTC now); "
                               "choose a time to come.", field="starts_at")
    return when.replace(second=0, microsecond=0)


def parse_minutes(value: int | str) -> int:
    text = str(value).strip()
    if not is_count(text) or not 5 <= int(text) <= MAX_MINUTES:
        raise ValidationFailed(f"'{text}' is not a length for a meeting; give minutes from 5 to {MAX_MINUTES}.",
                               field="minutes")
    return int(text)


def clean_location(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_LOCATION or "\n" in text:
        raise ValidationFailed(f"The location or video link is one line of at most {MAX_LOCATION} characters.",
                               field="location")
    return text


def clean_agenda(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_AGENDA:
        raise ValidationFailed(f"The agenda is at most {MAX_AGENDA} characters (this one has {len(text)}).",
                               field="agenda")
    return text


def default_agenda(db: Session, incident: Incident, extra_points: Sequence[str] = ()) -> str:
    """What the meeting goes through: the incident's summary, key events and open follow-ups, then the
    postmortem's "went badly" and "lessons" points when it has one (and any ``extra_points``)."""
    key_events = db.scalar(sa.select(sa.func.count()).select_from(TimelineEntry).where(
        TimelineEntry.incident_id == incident.id, TimelineEntry.pinned.is_(True))) or 0
    open_followups = db.scalar(sa.select(sa.func.count()).select_from(FollowUp).where(
        FollowUp.incident_id == incident.id, FollowUp.status == FollowUpStatus.open)) or 0
    summary = incident.summary.strip() or incident.description.strip() or "not written yet"
    lines = [f"Retrospective of {incident.ref}: {incident.title}", "", f"Summary: {summary}", "",
             f"1. What happened: the timeline and its {key_events} key event{'s' if key_events != 1 else ''}",
             "2. What went well",
             "3. What was hard, or slowed us down",
             f"4. Follow-ups: {open_followups} open; agree owners and dates"]
    postmortem = postmortems.find_for_incident(db=db, incident_id=incident.id)
    from_postmortem = postmortems.agenda_points(postmortem) if postmortem is not None else []
    points = list(dict.fromkeys(p.strip() for p in [*from_postmortem, *extra_points] if p.strip()))
    if points:
        lines += ["", "From the postmortem:"] + [f"- {p}" for p in points]
    return "\n".join(lines)


def _invitee_for(db: Session, incident: Incident, who: str) -> Invitee:
    text = who.strip()
    private = visibility.is_private(incident)
    if "@" in text[1:] and not text.startswith("@"):
        if not EMAIL.match(text) or len(text) > 254:
            raise ValidationFailed(f"'{text}' is not an email address; name a person as @handle or "
                                   "name@example.com.", field="attendees")
        user = db.scalar(sa.select(User).where(sa.func.lower(User.email) == text.lower(), User.is_active.is_(True)))
        if user is None:
            if private:
                raise ValidationFailed(f"{incident.ref} is a private security incident: its retrospective invites "
                                       f"its participants only, so {text} cannot be invited.", field="attendees")
            return Invitee(None, text, "")
    else:
        try:
            user = accounts.find_person(db=db, who=text)
        except NotFound as missing:
            raise ValidationFailed(missing.message, field="attendees") from None
    if private and not visibility.takes_part(db=db, user_id=user.id, incident_id=incident.id):
        raise ValidationFailed(f"{incident.ref} is a private security incident: its retrospective invites its "
                               f"participants only, and @{user.handle} is not one (add them with /incident "
                               "invite first).", field="attendees")
    return Invitee(user.id, user.email, user.name)


def participants_of(db: Session, incident: Incident) -> list[Invitee]:
    handles = [p.handle for p in visibility.list_participants(db=db, incident=incident)]
    if not handles:
        return []
    users = db.scalars(sa.select(User).where(User.handle.in_(handles), User.is_active.is_(True)))
    by_handle = {u.handle: u for u in users}
    return [Invitee(u.id, u.email, u.name) for h in handles if (u := by_handle.get(h)) is not None]


def choose_attendees(db: Session, incident: Incident, actor: Actor, named: Sequence[str] | None,
                     include_participants: bool = True) -> list[Invitee]:
    """The participants (unless left out), the organiser, and everyone named; each address once."""
    chosen: dict[str, Invitee] = {}
    if include_participants or not named:
        for invitee in participants_of(db, incident):
            chosen.setdefault(invitee.email.lower(), invitee)
    organiser = db.get(User, actor.user_id) if actor.user_id is not None else None
    if organiser is not None:
        chosen.setdefault(organiser.email.lower(), Invitee(organiser.id, organiser.email, organiser.name))
    for who in named or []:
        if who.strip():
            invitee = _invitee_for(db, incident, who)
            chosen.setdefault(invitee.email.lower(), invitee)
    if not chosen:
        raise ValidationFailed("Nobody to invite: name attendees (@handle or email).", field="attendees")
    if len(chosen) > MAX_ATTENDEES:
        raise ValidationFailed(f"Invite at most {MAX_ATTENDEES} people.", field="attendees")
    return list(chosen.values())


# Changes -------------------------------------------------------------------------------------------------


def _incident_for_change(db: Session, actor: Actor, ref: str | int) -> Incident:
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident


def _find(db: Session, incident: Incident) -> Retrospective | None:
    return db.scalar(sa.select(Retrospective).where(Retrospective.incident_id == incident.id))


def _when(retro: Retrospective) -> str:
    return f"{retro.starts_at:%Y-%m-%d %H:%M} UTC ({retro.duration_minutes} min)"


def schedule(
    *, db: Session, actor: Actor, ref: str | int, starts_at: str, minutes: int | str = DEFAULT_MINUTES,
    location: str = "", agenda: str | None = None, attendees: Sequence[str] | None = None,
    include_participants: bool = True, agenda_points: Sequence[str] = (),
) -> Retrospective:
    """Schedule the incident's retrospective and queue an invite to each attendee."""
    incident = _incident_for_change(db, actor, ref)
    now = actor.clock.now()
    start = parse_starts_at(starts_at, now)
    length = parse_minutes(minutes)
    where = clean_location(location)
    text = clean_agenda(agenda) if agenda is not None and agenda.strip() else default_agenda(
        db, incident, agenda_points)
    invitees = choose_attendees(db, incident, actor, attendees, include_participants)
    retro = _find(db, incident)
    if retro is not None and retro.status is RetrospectiveStatus.scheduled:
        raise Conflict(f"{incident.ref}'s retrospective is already scheduled for {_when(retro)}; reschedule it "
                       "(PATCH, or the form) or cancel it first.")
    if retro is None:
        retro = Retrospective(incident_id=incident.id, uid=f"retrospective-{uuid.uuid4()}@warroom", sequence=0,
                              created_at=now)
        db.add(retro)
    else:
        retro.sequence += 1
    retro.organiser_id = actor.user_id
    retro.starts_at, retro.duration_minutes, retro.location, retro.agenda = start, length, where, text
    retro.status = RetrospectiveStatus.scheduled
    retro.updated_at = now
    db.flush()
    _set_attendees(db, retro, invitees, now)
    audit.record(db=db, actor=actor, action="retrospective.scheduled", target_type="incident",
                 target_id=incident.ref, starts_at=start.isoformat(), minutes=length,
                 attendees=[i.email for i in invitees])
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Retrospective scheduled for {_when(retro)}; invites on their way to {len(invitees)} "
                            f"{'person' if len(invitees) == 1 else 'people'}",
                       retrospective=retro.id, starts_at=start.isoformat())
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=RETROSPECTIVE_SCHEDULED)
    return retro


def reschedule(
    *, db: Session, actor: Actor, ref: str | int, starts_at: str | None = None, minutes: int | str | None = None,
    location: str | None = None, agenda: str | None = None, attendees: Sequence[str] | None = None,
    include_participants: bool = True,
) -> Retrospective:
    """Change what is given (None leaves it); any change raises the SEQUENCE and re-sends the invite."""
    incident = _incident_for_change(db, actor, ref)
    retro = _scheduled(db, incident)
    now = actor.clock.now()
    changes: dict[str, object] = {}
    if starts_at is not None:
        start = parse_starts_at(starts_at, now)
        if start != retro.starts_at:
            retro.starts_at = start
            changes["starts_at"] = start.isoformat()
    if minutes is not None:
        length = parse_minutes(minutes)
        if length != retro.duration_minutes:
            retro.duration_minutes = length
            changes["minutes"] = length
    if location is not None and clean_location(location) != retro.location:
        retro.location = clean_location(location)
        changes["location"] = retro.location
    if agenda is not None and clean_agenda(agenda) != retro.agenda:
        retro.agenda = clean_agenda(agenda) or default_agenda(db, incident)
        changes["agenda"] = True
    invitees = choose_attendees(db, incident, actor, attendees, include_participants) if attendees is not None \
        else None
    if invitees is not None and {i.email.lower() for i in invitees} != {a.email.lower() for a in
                                                                         _current(db, retro)}:
        changes["attendees"] = [i.email for i in invitees]
    if not changes:
        return retro
    retro.sequence += 1
    retro.updated_at = now
    if invitees is not None:
        _set_attendees(db, retro, invitees, now)
    else:
        _queue(db, retro, _current(db, retro), REQUEST, now)
    audit.record(db=db, actor=actor, action="retrospective.rescheduled", target_type="incident",
                 target_id=incident.ref, sequence=retro.sequence, **changes)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Retrospective changed ({', '.join(changes)}): {_when(retro)}; "
                            "updated invites on their way",
                       retrospective=retro.id, sequence=retro.sequence)
    return retro


def cancel(*, db: Session, actor: Actor, ref: str | int) -> Retrospective:
    incident = _incident_for_change(db, actor, ref)
    retro = _scheduled(db, incident)
    now = actor.clock.now()
    retro.status = RetrospectiveStatus.cancelled
    retro.sequence += 1
    retro.updated_at = now
    _queue(db, retro, _current(db, retro), CANCEL, now)
    audit.record(db=db, actor=actor, action="retrospective.cancelled", target_type="incident",
                 target_id=incident.ref, sequence=retro.sequence)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Retrospective of {_when(retro)} cancelled; attendees told",
                       retrospective=retro.id)
    _reopen_step(db, incident, actor)
    return retro


def _reopen_step(db: Session, incident: Incident, actor: Actor) -> None:
    """No retrospective is scheduled any more: the step is open again (unless someone skipped it)."""
    item = db.scalar(sa.select(ChecklistItem).where(ChecklistItem.incident_id == incident.id,
                                                    ChecklistItem.key == RETROSPECTIVE_SCHEDULED))
    if item is not None and item.state is ItemState.done:
        checklists.set_item_state(db=db, incident=incident, actor=actor, key=RETROSPECTIVE_SCHEDULED,
                                  state=ItemState.open)


def _scheduled(db: Session, incident: Incident) -> Retrospective:
    retro = _find(db, incident)
    if retro is None or retro.status is not RetrospectiveStatus.scheduled:
        raise NotFound(f"{incident.ref} has no retrospective scheduled; schedule one first.", field="retrospective")
    return retro


def _current(db: Session, retro: Retrospective) -> list[RetrospectiveAttendee]:
    return list(db.scalars(sa.select(RetrospectiveAttendee).where(
        RetrospectiveAttendee.retrospective_id == retro.id, RetrospectiveAttendee.removed.is_(False))
        .order_by(RetrospectiveAttendee.id)))


def _set_attendees(db: Session, retro: Retrospective, invitees: list[Invitee], now: datetime) -> None:
    """Make the attendee list ``invitees``: the new and kept get the invite, the dropped a cancellation."""
    existing = {a.email.lower(): a for a in db.scalars(sa.select(RetrospectiveAttendee).where(
        RetrospectiveAttendee.retrospective_id == retro.id))}
    wanted = {i.email.lower() for i in invitees}
    dropped = [a for key, a in existing.items() if key not in wanted and not a.removed]
    for attendee in dropped:
        attendee.removed = True
    for invitee in invitees:
        row = existing.get(invitee.email.lower())
        if row is None:
            db.add(RetrospectiveAttendee(retrospective_id=retro.id, user_id=invitee.user_id, email=invitee.email,
                                         name=invitee.name, removed=False, note=""))
        else:
            row.removed = False
    db.flush()
    _queue(db, retro, _current(db, retro), REQUEST, now)
    _queue(db, retro, dropped, CANCEL, now)


def _queue(db: Session, retro: Retrospective, attendees: list[RetrospectiveAttendee], method: str,
           now: datetime) -> None:
    for attendee in attendees:
        queue.enqueue(db=db, kind=INVITE_JOB,
                      payload={"retrospective_id": retro.id, "attendee_id": attendee.id,
                               "sequence": retro.sequence, "method": method},
                      idempotency_key=f"retro-{retro.id}-{retro.sequence}-{method.lower()}-{attendee.id}",
                      due_at=now)


# The engine's side ---------------------------------------------------------------------------------------


def record_sent(*, db: Session, attendee_id: int, sequence: int, at: datetime, note: str) -> None:
    db.execute(sa.update(RetrospectiveAttendee).where(RetrospectiveAttendee.id == attendee_id)
               .values(sent_sequence=sequence, sent_at=at, note=note[:2000]))


def record_failure(*, db: Session, attendee_id: int, error: str) -> None:
    db.execute(sa.update(RetrospectiveAttendee).where(RetrospectiveAttendee.id == attendee_id)
               .values(note=f"The invite could not be sent: {error}"[:2000]))


# Reading -------------------------------------------------------------------------------------------------


def view_of(db: Session, incident: Incident, retro: Retrospective) -> RetrospectiveView:
    attendees = _current(db, retro)
    ids = [a.user_id for a in attendees if a.user_id is not None]
    handles: dict[int, str] = {}
    if ids:
        handles.update((row.id, row.handle) for row in db.execute(sa.select(User.id, User.handle)
                                                                  .where(User.id.in_(ids))))
    organiser = db.get(User, retro.organiser_id) if retro.organiser_id is not None else None
    return RetrospectiveView(retro, incident, organiser, attendees, handles)


def find(*, db: Session, actor: Actor, ref: str | int) -> RetrospectiveView | None:
    """The incident's retrospective (scheduled or cancelled), or None."""
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    retro = _find(db, incident)
    return view_of(db, incident, retro) if retro is not None else None


def get(*, db: Session, actor: Actor, ref: str | int) -> RetrospectiveView:
    view = find(db=db, actor=actor, ref=ref)
    if view is None:
        raise NotFound(f"{incidents.get_incident(db=db, ref=ref).ref} has no retrospective; schedule one.",
                       field="retrospective")
    return view
