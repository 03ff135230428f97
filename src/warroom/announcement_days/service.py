"""The announcement-day calendar, and looping marketing and support in on incidents that fall on those days.

The handbook: on big announcement days (funding, product launch, campaign launch …) every incident warrants more
immediate attention from marketing, so planned activities can be held off, and customer support is ready. An
incident declared during such a day, or open when it begins, notifies the day's marketing owner and the
customer-support team at once (through the notification delivery), once per incident and day, and says so in
its room. A day may also tighten the status-update reminder cadence while it is on.

Takes a session; commits nothing (except the engine manager, which runs its own transaction).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.announcement_days.models import AnnouncementDay, AnnouncementDayIncident, DayKind
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.clock import Clock, as_utc
from warroom.core.errors import NotFound, PermissionDenied, ValidationFailed
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.runner import Manager
from warroom.incidents.models import Incident, Severity, Status
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.notifications.planning import NOTIFY_JOB, rules_of
from warroom.oncall.schedules.service import valid_time_zone
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

MARKETING_TEAM = "marketing"
CUSTOMER_SUPPORT_TEAM = "customer-support"
ACTIVE = (Status.investigating, Status.identified, Status.monitoring)
MAX_TITLE = 200
MAX_NOTES = 5_000
MAX_SPAN = timedelta(days=7)
MAX_REMINDER_MINUTES = 1440
MAX_ID = 2**31 - 1
MANAGER_BATCH = 200


# Input ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySpec:
    """An announcement day as typed: a ``date`` (the whole day) or a ``starts``/``ends`` range, in ``time_zone``."""

    title: str
    kind: str
    time_zone: str
    owner: str
    date: str = ""
    starts: str = ""
    ends: str = ""
    reminder_minutes: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class CleanDay:
    title: str
    kind: DayKind
    time_zone: str
    all_day: bool
    starts_at: datetime
    ends_at: datetime
    owner: User
    reminder_minutes: int | None
    notes: str


def parse_kind(value: str) -> DayKind:
    try:
        return DayKind(value.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in DayKind)
        raise ValidationFailed(f"Unknown kind '{value}'. Use one of: {kinds}.", field="kind") from None


def _local_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"'{text.strip()}' is not a date; use YYYY-MM-DD (like 2026-03-10).",
                               field="date") from None


def _local_moment(text: str, zone: zoneinfo.ZoneInfo, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"'{text.strip()}' is not a date and time; use YYYY-MM-DDTHH:MM "
                               "(like 2026-03-10T09:00), in the day's time zone.", field=field) from None
    return as_utc(moment if moment.tzinfo is not None else moment.replace(tzinfo=zone))


def _range(spec: DaySpec, zone: zoneinfo.ZoneInfo) -> tuple[bool, datetime, datetime]:
    whole_day = bool(spec.date.strip())
    timed = bool(spec.starts.strip() or spec.ends.strip())
    if whole_day == timed:
        raise ValidationFailed("Give either a date (the whole day) or a start and an end time, not both.",
                               field="date")
    if whole_day:
        day = _local_date(spec.date)
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        following = day + timedelta(days=1)
        return True, as_utc(start), as_utc(datetime(following.year, following.month, following.day, tzinfo=zone))
    if not spec.starts.strip() or not spec.ends.strip():
        missing = "start" if not spec.starts.strip() else "end"
        raise ValidationFailed(f"Give the {missing} time too (or a date for the whole day).",
                               field="starts" if missing == "start" else "ends")
    starts_at = _local_moment(spec.starts, zone, "starts")
    ends_at = _local_moment(spec.ends, zone, "ends")
    if ends_at <= starts_at:
        raise ValidationFailed(f"The end ({spec.ends.strip()}) is not after the start ({spec.starts.strip()}); "
                               "an announcement day ends after it begins.", field="ends")
    if ends_at - starts_at > MAX_SPAN:
        raise ValidationFailed(f"An announcement day spans at most {MAX_SPAN.days} days; add one per day for a "
                               "longer campaign.", field="ends")
    return False, starts_at, ends_at


def _owner(db: Session, who: str) -> User:
    if not who.strip():
        raise ValidationFailed("Name the marketing owner: the person leading the announcement (@handle or email).",
                               field="owner")
    try:
        person = accounts.find_person(db=db, who=who)
    except NotFound:
        raise ValidationFailed(f"No person '{who.strip()}' to lead this day; give the marketing owner's @handle "
                               "or email.", field="owner") from None
    if not person.is_active:
        raise ValidationFailed(f"@{person.handle} is deactivated; choose someone who can be notified.",
                               field="owner")
    return person


def _reminder(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_REMINDER_MINUTES:
        raise ValidationFailed(f"The reminder interval is a whole number of minutes from 1 to "
                               f"{MAX_REMINDER_MINUTES} (or empty to keep the usual cadence).",
                               field="reminder_minutes")
    return value


def clean_day(db: Session, spec: DaySpec) -> CleanDay:
    """Check every field before anything is written."""
    title = " ".join(spec.title.split())
    if not title:
        raise ValidationFailed("Give the day a title, like 'Series B announcement'.", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"Keep the title under {MAX_TITLE} characters.", field="title")
    kind = parse_kind(spec.kind)
    zone_name = valid_time_zone(spec.time_zone)
    all_day, starts_at, ends_at = _range(spec, zoneinfo.ZoneInfo(zone_name))
    notes = spec.notes.strip()
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(f"Keep the notes under {MAX_NOTES} characters.", field="notes")
    reminder = _reminder(spec.reminder_minutes)
    return CleanDay(title, kind, zone_name, all_day, starts_at, ends_at, _owner(db, spec.owner), reminder, notes)


def may_plan(db: Session, actor: Actor) -> None:
    """Admins and the marketing team keep the calendar."""
    actor.require(AccessRole.responder)
    if actor.is_admin:
        return
    if actor.user_id is None or not accounts.is_member(db=db, user_id=actor.user_id, team_slug=MARKETING_TEAM):
        raise PermissionDenied(f"Only admins and members of the {MARKETING_TEAM} team plan announcement days; "
                               "ask one of them.")


# The calendar --------------------------------------------------------------------------------------------


def _apply(day: AnnouncementDay, clean: CleanDay) -> dict[str, Any]:
    day.title, day.kind, day.time_zone, day.all_day = clean.title, clean.kind, clean.time_zone, clean.all_day
    day.starts_at, day.ends_at, day.owner_id = clean.starts_at, clean.ends_at, clean.owner.id
    day.reminder_minutes, day.notes = clean.reminder_minutes, clean.notes
    return {"title": clean.title, "kind": clean.kind.value, "starts_at": clean.starts_at.isoformat(),
            "ends_at": clean.ends_at.isoformat(), "time_zone": clean.time_zone, "owner": clean.owner.handle,
            "reminder_minutes": clean.reminder_minutes}


def create_day(*, db: Session, actor: Actor, spec: DaySpec) -> AnnouncementDay:
    may_plan(db, actor)
    clean = clean_day(db, spec)
    now = actor.clock.now()
    day = AnnouncementDay(created_by_id=actor.user_id, created_at=now, updated_at=now)
    detail = _apply(day, clean)
    db.add(day)
    db.flush()
    audit.record(db=db, actor=actor, action="announcement_day.create", target_type="announcement_day",
                 target_id=day.id, **detail)
    return day


def get_day(*, db: Session, day_id: int) -> AnnouncementDay:
    day = db.get(AnnouncementDay, day_id) if 0 < day_id <= MAX_ID else None
    if day is None:
        raise NotFound(f"No announcement day #{day_id}.", field="announcement_day")
    return day


def update_day(*, db: Session, actor: Actor, day_id: int, spec: DaySpec) -> AnnouncementDay:
    may_plan(db, actor)
    day = get_day(db=db, day_id=day_id)
    clean = clean_day(db, spec)
    detail = _apply(day, clean)
    day.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="announcement_day.update", target_type="announcement_day",
                 target_id=day.id, **detail)
    return day


def delete_day(*, db: Session, actor: Actor, day_id: int) -> AnnouncementDay:
    may_plan(db, actor)
    day = get_day(db=db, day_id=day_id)
    db.execute(sa.delete(AnnouncementDayIncident).where(AnnouncementDayIncident.day_id == day.id))
    db.delete(day)
    audit.record(db=db, actor=actor, action="announcement_day.delete", target_type="announcement_day",
                 target_id=day_id, title=day.title)
    return day


def describe_when(day: AnnouncementDay) -> str:
    """In the day's own time zone: "Tue 10 Mar 2026" or "Tue 10 Mar 2026 09:00 to 18:00", with the zone."""
    zone = zoneinfo.ZoneInfo(day.time_zone)
    start, end = as_utc(day.starts_at).astimezone(zone), as_utc(day.ends_at).astimezone(zone)
    if day.all_day:
        return f"{start:%a %d %b %Y} ({day.time_zone})"
    if start.date() == end.date():
        return f"{start:%a %d %b %Y %H:%M} to {end:%H:%M} ({day.time_zone})"
    return f"{start:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} ({day.time_zone})"


def local_inputs(day: AnnouncementDay) -> dict[str, str]:
    """The day's range as the form shows it, in its time zone."""
    zone = zoneinfo.ZoneInfo(day.time_zone)
    start, end = as_utc(day.starts_at).astimezone(zone), as_utc(day.ends_at).astimezone(zone)
    if day.all_day:
        return {"date": start.date().isoformat(), "starts": "", "ends": ""}
    return {"date": "", "starts": start.strftime("%Y-%m-%dT%H:%M"), "ends": end.strftime("%Y-%m-%dT%H:%M")}


@dataclass(frozen=True)
class DayRow:
    day: AnnouncementDay
    owner_handle: str | None
    when: str
    state: str  # "upcoming", "on now" or "past"


def _state(day: AnnouncementDay, now: datetime) -> str:
    if day.ends_at <= now:
        return "past"
    return "on now" if day.starts_at <= now else "upcoming"


def list_days(*, db: Session, now: datetime, include_past: bool = True, limit: int = 200) -> list[DayRow]:
    """Days on now and upcoming first (soonest first), then past ones (latest first)."""
    query = sa.select(AnnouncementDay, User.handle).outerjoin(User, User.id == AnnouncementDay.owner_id)
    current = query.where(AnnouncementDay.ends_at > now).order_by(AnnouncementDay.starts_at, AnnouncementDay.id)
    rows = list(db.execute(current.limit(limit)))
    if include_past:
        past = query.where(AnnouncementDay.ends_at <= now).order_by(AnnouncementDay.starts_at.desc(),
                                                                     AnnouncementDay.id.desc())
        rows += list(db.execute(past.limit(limit)))
    return [DayRow(day, handle, describe_when(day), _state(day, now)) for day, handle in rows]


def day_row(*, db: Session, day_id: int, now: datetime) -> DayRow:
    day = get_day(db=db, day_id=day_id)
    owner = db.get(User, day.owner_id) if day.owner_id else None
    return DayRow(day, owner.handle if owner else None, describe_when(day), _state(day, now))


def days_in_progress(*, db: Session, now: datetime) -> list[AnnouncementDay]:
    query = (sa.select(AnnouncementDay).where(AnnouncementDay.starts_at <= now, AnnouncementDay.ends_at > now)
             .order_by(AnnouncementDay.starts_at, AnnouncementDay.id))
    return list(db.scalars(query))


# Incidents on announcement days ----------------------------------------------------------------------------


def _people(db: Session, day: AnnouncementDay) -> tuple[User | None, list[User]]:
    """The day's owner and the customer-support team's active members."""
    owner = db.get(User, day.owner_id) if day.owner_id else None
    support: list[User] = []
    team = db.scalar(sa.select(Team).where(Team.slug == CUSTOMER_SUPPORT_TEAM))
    if team is not None:
        support = [u for u in accounts.team_members(db=db, team=team) if u.is_active]
    return (owner if owner is not None and owner.is_active else None), support


def _notify(db: Session, day: AnnouncementDay, incident: Incident, user: User, now: datetime) -> None:
    """At once on each of the person's immediate contact methods (or their sign-up email): no escalation delay."""
    methods = {method.id: method for rule, method in rules_of(db, user.id) if rule.delay_minutes == 0}
    targets: list[tuple[int | None, ContactKind]] = [(m.id, m.kind) for m in methods.values()]
    subject = f"{incident.ref} [{incident.severity.value}] on announcement day “{day.title}”: {incident.title}"
    if incident.security:  # a private security incident: the people told may not see its room, so no title
        subject = (f"{incident.ref} [{incident.severity.value}] private security incident on announcement day "
                   f"“{day.title}”")
    notifications = [
        Notification(alert_id=None, incident_id=incident.id, user_id=user.id, contact_method_id=method_id,
                     kind=kind, subject=subject[:300], status=DeliveryStatus.queued,
                     idempotency_key=f"ntf-day{day.id}-inc{incident.id}-u{user.id}-{index}", created_at=now,
                     due_at=now, attempts=0, last_error="")
        for index, (method_id, kind) in enumerate(targets or [(None, ContactKind.email)])
    ]
    db.add_all(notifications)
    db.flush()
    for notification in notifications:
        queue.enqueue(db=db, kind=NOTIFY_JOB, payload={"notification_id": notification.id},
                      idempotency_key=f"notify-{notification.id}", due_at=now)


def _room_note(day: AnnouncementDay, how: str, owner: User | None, support: list[User]) -> str:
    on = "Declared on" if how == "declared" else "Open as it begins:"
    who = []
    if owner is not None:
        who.append(f"the marketing owner @{owner.handle}")
    if support:
        who.append("customer support (" + ", ".join(f"@{u.handle}" for u in support) + ")")
    told = (f"Notified {' and '.join(who)} at once" if who
            else f"Nobody could be notified (no active owner and no {CUSTOMER_SUPPORT_TEAM} team members)")
    return (f"{on} announcement day “{day.title}” ({day.kind.value}, {describe_when(day)}). {told}, so planned "
            "activities can be held off and support is ready to respond.")


def link_incident(*, db: Session, day: AnnouncementDay, incident: Incident, how: str, clock: Clock) -> bool:
    """Loop marketing and support in on this incident for this day, once. Returns False if already done."""
    if db.get(AnnouncementDayIncident, (day.id, incident.id)) is not None:
        return False
    now = clock.now()
    db.add(AnnouncementDayIncident(day_id=day.id, incident_id=incident.id, how=how, notified_at=now))
    db.flush()  # a concurrent engine that linked it first makes this fail here, before anyone is notified
    owner, support = _people(db, day)
    people = {u.id: u for u in [*([owner] if owner else []), *support]}
    for user in people.values():
        _notify(db, day, incident, user, now)
    system = Actor.system(clock)
    timeline.add_entry(db=db, incident=incident, actor=system, kind=EntryKind.system,
                       body=_room_note(day, how, owner, support), announcement_day_id=day.id,
                       notified=[u.handle for u in people.values()])
    audit.record(db=db, actor=system, action="announcement_day.notify", target_type="incident",
                 target_id=incident.ref, announcement_day=day.id, how=how,
                 notified=[u.handle for u in people.values()])
    return True


def loop_in_marketing(*, db: Session, actor: Actor, incident: Incident) -> None:
    """At declare: an incident declared during an announcement day notifies its owner and support at once."""
    for day in days_in_progress(db=db, now=incident.declared_at):
        link_incident(db=db, day=day, incident=incident, how="declared", clock=actor.clock)


def open_incidents_to_loop_in(
    *, db: Session, now: datetime, lock: bool = False
) -> list[tuple[AnnouncementDay, Incident]]:
    """Pairs of a day on now and an open incident nobody has looped marketing in on for it yet.

    ``lock`` claims the incidents (PostgreSQL: another engine skips them); the link's primary key makes a
    second engine that raced past the claim fail before it notifies anyone.
    """
    linked = sa.exists().where(AnnouncementDayIncident.day_id == AnnouncementDay.id,
                               AnnouncementDayIncident.incident_id == Incident.id)
    query = (sa.select(AnnouncementDay, Incident)
             .join(Incident, sa.and_(Incident.status.in_(ACTIVE), Incident.declared_at < AnnouncementDay.ends_at))
             .where(AnnouncementDay.starts_at <= now, AnnouncementDay.ends_at > now, ~linked)
             .order_by(AnnouncementDay.id, Incident.id).limit(MANAGER_BATCH))
    if lock:
        query = query.with_for_update(skip_locked=True, of=Incident)
    return [(day, incident) for day, incident in db.execute(query)]


def make_manager(clock: Clock) -> Manager:
    """The engine manager: when a day begins (or is added while on), loop in on every incident open then."""

    def announcement_day_incidents(database: Database, now: datetime) -> None:
        with database.reading() as db:
            if not open_incidents_to_loop_in(db=db, now=now):
                return  # the usual case: one cheap read, no write lock taken
        with database.writing() as db:
            for day, incident in open_incidents_to_loop_in(db=db, now=now, lock=True):
                link_incident(db=db, day=day, incident=incident, how="open", clock=clock)

    return announcement_day_incidents


def reminder_limits(*, db: Session, now: datetime, limits: dict[Severity, timedelta]) -> dict[Severity, timedelta]:
    """The status-reminder thresholds now: a day on now with its own interval tightens them (never loosens)."""
    minutes = db.scalar(sa.select(sa.func.min(AnnouncementDay.reminder_minutes)).where(
        AnnouncementDay.starts_at <= now, AnnouncementDay.ends_at > now,
        AnnouncementDay.reminder_minutes.is_not(None)))
    if minutes is None:
        return limits
    tighter = timedelta(minutes=int(minutes))
    return {level: min(limits.get(level, tighter), tighter) for level in Severity}


# The room's banner ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Banner:
    day_id: int
    title: str
    kind: str
    when: str
    owner_handle: str | None
    how: str
    on_now: bool


def day_id_of(incident_id: Any) -> sa.ScalarSelect[int]:
    """The latest announcement day an incident fell on, as a subquery (so the room needs no extra query)."""
    return (sa.select(AnnouncementDayIncident.day_id)
            .join(AnnouncementDay, AnnouncementDay.id == AnnouncementDayIncident.day_id)
            .where(AnnouncementDayIncident.incident_id == incident_id)
            .order_by(AnnouncementDay.starts_at.desc()).limit(1).scalar_subquery())


def banner(*, db: Session, day_id: int, incident_id: int, now: datetime) -> Banner | None:
    row = db.execute(
        sa.select(AnnouncementDay, User.handle, AnnouncementDayIncident.how)
        .join(AnnouncementDayIncident, AnnouncementDayIncident.day_id == AnnouncementDay.id)
        .outerjoin(User, User.id == AnnouncementDay.owner_id)
        .where(AnnouncementDay.id == day_id, AnnouncementDayIncident.incident_id == incident_id)
    ).first()
    if row is None:
        return None
    day, handle, how = row
    return Banner(day.id, day.title, day.kind.value, describe_when(day), handle, how,
                  day.starts_at <= now < day.ends_at)
