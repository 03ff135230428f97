"""On-call schedules: create and edit rotations, add overrides, ask who is on call.

Keyword-only, takes a session, commits nothing. Every change is audited. Admins create and edit
schedules and their layers; responders may add and remove overrides (covering for someone is part of
being on call). The math lives in ``rotation`` and never touches the database.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.clock import as_utc
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.oncall.schedules import rotation
from warroom.oncall.schedules.models import RotationKind, Schedule, ScheduleLayer, ScheduleOverride

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
HANDOFF_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
HANDOFF_FORMAT = "%Y-%m-%dT%H:%M"
CUSTOM_HOURS = (1, 8760)  # an hour to a year
NATURAL_HOURS = {RotationKind.daily: 24, RotationKind.weekly: 168}
MAX_OVERRIDE = timedelta(days=90)
MAX_TIMELINE_DAYS = 366
MAX_PARTICIPANTS = 200
MAX_RESTRICTIONS = 50
RESTRICTION_EXAMPLE = '{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}'
ZONE_HELP = ("Use an IANA tz database name (Region/City), e.g. Europe/Berlin, America/New_York, Asia/Kolkata "
             "or UTC. The full list is the 'TZ identifier' column of "
             "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones, or on the server: "
             "python3 -c 'import zoneinfo; print(*sorted(zoneinfo.available_timezones()), sep=chr(10))'")


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # "leave this as it is" in update_* calls, so None can mean "clear it"
T = TypeVar("T")


def _changed(value: T | _Keep, current: T) -> T:
    return current if isinstance(value, _Keep) else value


# Validation: each returns the normalised value or raises ValidationFailed --------------------------


@functools.lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def valid_time_zone(name: str) -> str:
    """The canonical IANA name for ``name`` (any case), or a ValidationFailed saying how to find one."""
    text = name.strip()
    canonical = _zone_names().get(text.lower())
    if canonical is not None:
        return canonical
    close = difflib.get_close_matches(text, list(_zone_names().values()), n=3)
    guess = f" Did you mean {' or '.join(close)}?" if close else ""
    raise ValidationFailed(f"Unknown time zone '{text}'.{guess} {ZONE_HELP}", field="time_zone",
                           hint=ZONE_HELP)


def valid_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or slug.isdigit():
        raise ValidationFailed(
            "A schedule slug is 1-100 lowercase letters, digits and '-', starting with a letter or digit and "
            "not only digits (those are ids), e.g. platform-primary.", field="slug")
    return slug


def valid_handoff(text: str) -> str:
    """The first hand-off: a wall-clock time in the schedule's zone, ``YYYY-MM-DDTHH:MM``."""
    text = text.strip()
    try:
        if not HANDOFF_RE.match(text):
            raise ValueError(text)
        datetime.strptime(text, HANDOFF_FORMAT)
    except ValueError:
        raise ValidationFailed(
            f"'{text}' is not a hand-off time. Write the first hand-off as local wall-clock time in the "
            "schedule's zone, YYYY-MM-DDTHH:MM, e.g. 2026-01-05T09:00.", field="handoff_local") from None
    return text


def valid_length(rotation_kind: RotationKind, length_hours: int | None) -> int:
    if rotation_kind is RotationKind.custom:
        low, high = CUSTOM_HOURS
        if length_hours is None or isinstance(length_hours, bool) or not low <= length_hours <= high:
            raise ValidationFailed(f"A custom rotation is {low} to {high} hours long (length_hours).",
                                   field="length_hours")
        return length_hours
    natural = NATURAL_HOURS[rotation_kind]
    if length_hours not in (None, natural):
        raise ValidationFailed(f"length_hours is for custom rotations; a {rotation_kind.value} turn is "
                               f"{natural} hours of local time. Use rotation 'custom' for other lengths.",
                               field="length_hours")
    return natural


def valid_rotation(value: str) -> RotationKind:
    try:
        return RotationKind(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"Rotation '{value}' is not one of daily, weekly, custom.",
                               field="rotation") from None


def _restriction_error(number: int, problem: str) -> ValidationFailed:
    return ValidationFailed(f"Restriction {number}: {problem}. Write each as {RESTRICTION_EXAMPLE} "
                            "(days Monday=0 to Sunday=6; an end at or before start runs past midnight).",
                            field="restrictions")


def _valid_restriction(number: int, item: object) -> dict[str, Any]:
    if not isinstance(item, Mapping) or set(item) != {"days", "start", "end"}:
        raise _restriction_error(number, "needs exactly days, start and end")
    days = item["days"]
    if (not isinstance(days, list) or not days
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days)):
        raise _restriction_error(number, "days is a non-empty list of weekdays 0-6")
    for key in ("start", "end"):
        if not isinstance(item[key], str) or not CLOCK_RE.match(item[key]):
            raise _restriction_error(number, f"{key} is a time HH:MM from 00:00 to 23:59")
    return {"days": sorted(set(days)), "start": item["start"], "end": item["end"]}


def valid_restrictions(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ValidationFailed(f"Restrictions are a list of windows like {RESTRICTION_EXAMPLE}.",
                               field="restrictions")
    if len(value) > MAX_RESTRICTIONS:
        raise ValidationFailed(f"At most {MAX_RESTRICTIONS} restriction windows per layer.", field="restrictions")
    return [_valid_restriction(n, item) for n, item in enumerate(value, start=1)]


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"{field} needs a time zone offset (e.g. 2026-01-05T09:00:00Z).", field=field)
    return as_utc(value)


def _maybe_aware(value: datetime | None, field: str) -> datetime | None:
    return None if value is None else _aware(value, field)


def valid_dates(starts_at: datetime | None, ends_at: datetime | None) -> tuple[datetime | None, datetime | None]:
    starts_at, ends_at = _maybe_aware(starts_at, "starts_at"), _maybe_aware(ends_at, "ends_at")
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationFailed("A layer's ends_at comes after its starts_at.", field="ends_at")
    return starts_at, ends_at


def find_participant(*, db: Session, who: int | str, field: str = "participants") -> User:
    """A user by id, or by @handle or email; active users only."""
    if isinstance(who, str):
        try:
            return accounts.find_person(db=db, who=who)
        except (NotFound, ValidationFailed) as error:
            raise ValidationFailed(error.message, field=field) from None
    user = db.get(User, who)
    if user is None or not user.is_active:
        raise ValidationFailed(f"No user #{who}. Name people by @handle, email or user id.", field=field)
    return user


def participant_ids(*, db: Session, participants: Sequence[int | str]) -> list[int]:
    if isinstance(participants, str) or len(participants) > MAX_PARTICIPANTS:
        raise ValidationFailed(f"Participants are a list of up to {MAX_PARTICIPANTS} people, in turn order.",
                               field="participants")
    return [find_participant(db=db, who=who).id for who in participants]


# Schedules ---------------------------------------------------------------------------------------------


def get_schedule(*, db: Session, ref: str | int) -> Schedule:
    """A schedule by id or slug."""
    text = str(ref).strip().lower()
    schedule = (db.get(Schedule, int(text)) if is_count(text)
                else db.scalar(sa.select(Schedule).where(Schedule.slug == text)))
    if schedule is None:
        raise NotFound(f"No schedule '{ref}'. See the On-call page for schedule names.", field="schedule")
    return schedule


def list_schedules(*, db: Session) -> list[Schedule]:
    return list(db.scalars(sa.select(Schedule).order_by(Schedule.name, Schedule.id)))


def schedules_for_team(*, db: Session, team: Team) -> list[Schedule]:
    query = sa.select(Schedule).where(Schedule.team_id == team.id).order_by(Schedule.name, Schedule.id)
    return list(db.scalars(query))


def create_schedule(*, db: Session, actor: Actor, slug: str, name: str, time_zone: str,
                    team: Team | None = None, description: str = "") -> Schedule:
    actor.require(AccessRole.admin)
    slug = valid_slug(slug)
    zone = valid_time_zone(time_zone)
    if not name.strip():
        raise ValidationFailed("A schedule needs a name, e.g. Platform primary.", field="name")
    if db.scalar(sa.select(Schedule.id).where(Schedule.slug == slug)) is not None:
        raise Conflict(f"Schedule '{slug}' already exists.", field="slug")
    schedule = Schedule(slug=slug, name=name.strip()[:200], time_zone=zone, team_id=team.id if team else None,
                        description=description.strip(), created_at=actor.clock.now())
    db.add(schedule)
    db.flush()
    audit.record(db=db, actor=actor, action="schedule.create", target_type="schedule", target_id=schedule.id,
                 slug=slug, time_zone=zone, team=team.slug if team else None)
    return schedule


def update_schedule(*, db: Session, actor: Actor, schedule: Schedule, name: str | _Keep = KEEP,
                    time_zone: str | _Keep = KEEP, team: Team | _Keep | None = KEEP,
                    description: str | _Keep = KEEP) -> Schedule:
    """Edit a schedule. A new zone moves every hand-off: they are wall-clock times in the zone."""
    actor.require(AccessRole.admin)
    new_name = _changed(name, schedule.name).strip()
    if not new_name:
        raise ValidationFailed("A schedule needs a name, e.g. Platform primary.", field="name")
    new_zone = valid_time_zone(_changed(time_zone, schedule.time_zone))
    new_team_id = schedule.team_id if isinstance(team, _Keep) else (team.id if team else None)
    before = {"name": schedule.name, "time_zone": schedule.time_zone, "team_id": schedule.team_id}
    schedule.name, schedule.time_zone, schedule.team_id = new_name[:200], new_zone, new_team_id
    schedule.description = _changed(description, schedule.description).strip()
    audit.record(db=db, actor=actor, action="schedule.update", target_type="schedule", target_id=schedule.id,
                 before=before, after={"name": schedule.name, "time_zone": new_zone, "team_id": new_team_id})
    return schedule


def remove_schedule(*, db: Session, actor: Actor, schedule: Schedule) -> None:
    actor.require(AccessRole.admin)
    audit.record(db=db, actor=actor, action="schedule.remove", target_type="schedule", target_id=schedule.id,
                 slug=schedule.slug)
    db.execute(sa.delete(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule.id))
    db.execute(sa.delete(ScheduleLayer).where(ScheduleLayer.schedule_id == schedule.id))
    db.delete(schedule)


# Layers ------------------------------------------------------------------------------------------------


def get_layer(*, db: Session, layer_id: int) -> ScheduleLayer:
    layer = db.get(ScheduleLayer, layer_id)
    if layer is None:
        raise NotFound(f"No schedule layer #{layer_id}.", field="layer")
    return layer


def list_layers(*, db: Session, schedule: Schedule) -> list[ScheduleLayer]:
    query = (sa.select(ScheduleLayer).where(ScheduleLayer.schedule_id == schedule.id)
             .order_by(ScheduleLayer.position, ScheduleLayer.id))
    return list(db.scalars(query))


def _next_position(db: Session, schedule: Schedule) -> int:
    highest = db.scalar(sa.select(sa.func.max(ScheduleLayer.position))
                        .where(ScheduleLayer.schedule_id == schedule.id))
    return 0 if highest is None else highest + 1


def add_layer(*, db: Session, actor: Actor, schedule: Schedule, rotation: str, handoff_local: str,
              participants: Sequence[int | str], name: str = "", length_hours: int | None = None,
              restrictions: Sequence[Mapping[str, Any]] = (), position: int | None = None,
              starts_at: datetime | None = None, ends_at: datetime | None = None) -> ScheduleLayer:
    """Add a rotation on top of the schedule's layers (or at ``position``; higher wins).

    ``participants`` take turns in order: user ids, @handles or emails. ``handoff_local`` is the first
    hand-off as wall-clock time in the schedule's zone; daily and weekly rotations hand off at that
    local time every 1 or 7 days, custom ones every ``length_hours`` (1-8760) of elapsed time.
    """
    actor.require(AccessRole.admin)
    kind = valid_rotation(rotation)
    hours = valid_length(kind, length_hours)
    handoff = valid_handoff(handoff_local)
    windows = valid_restrictions(list(restrictions))
    starts_at, ends_at = valid_dates(starts_at, ends_at)
    people = participant_ids(db=db, participants=participants)
    place = _next_position(db, schedule) if position is None else position
    layer = ScheduleLayer(schedule_id=schedule.id, name=name.strip()[:200] or f"Layer {place + 1}",
                          position=place, rotation=kind, length_hours=hours, handoff_local=handoff,
                          participants=people, restrictions=windows, starts_at=starts_at, ends_at=ends_at)
    db.add(layer)
    db.flush()
    audit.record(db=db, actor=actor, action="schedule.layer.add", target_type="schedule",
                 target_id=schedule.id, layer_id=layer.id, rotation=kind.value, handoff_local=handoff,
                 participants=people)
    return layer


def update_layer(*, db: Session, actor: Actor, layer: ScheduleLayer, name: str | _Keep = KEEP,
                 rotation: str | _Keep = KEEP, handoff_local: str | _Keep = KEEP,
                 participants: Sequence[int | str] | _Keep = KEEP, length_hours: int | _Keep | None = KEEP,
                 restrictions: Sequence[Mapping[str, Any]] | _Keep = KEEP, position: int | _Keep = KEEP,
                 starts_at: datetime | _Keep | None = KEEP, ends_at: datetime | _Keep | None = KEEP,
                 ) -> ScheduleLayer:
    """Change a layer; every value is checked as in add_layer before anything is written."""
    actor.require(AccessRole.admin)
    kind = valid_rotation(_changed(rotation, layer.rotation.value))
    # A stored length carries over only from custom to custom; switching kinds asks for one anew.
    was_custom = layer.rotation is RotationKind.custom
    current_hours = layer.length_hours if kind is RotationKind.custom and was_custom else None
    hours = valid_length(kind, _changed(length_hours, current_hours))
    handoff = valid_handoff(_changed(handoff_local, layer.handoff_local))
    windows = valid_restrictions(list(_changed(restrictions, layer.restrictions)))
    new_starts, new_ends = valid_dates(_changed(starts_at, layer.starts_at), _changed(ends_at, layer.ends_at))
    people = (list(layer.participants) if isinstance(participants, _Keep)
              else participant_ids(db=db, participants=participants))
    before = _layer_values(layer)
    layer.name = _changed(name, layer.name).strip()[:200] or layer.name
    layer.rotation, layer.length_hours, layer.handoff_local = kind, hours, handoff
    layer.participants, layer.restrictions = people, windows
    layer.position = _changed(position, layer.position)
    layer.starts_at, layer.ends_at = new_starts, new_ends
    after = _layer_values(layer)
    audit.record(db=db, actor=actor, action="schedule.layer.update", target_type="schedule",
                 target_id=layer.schedule_id, layer_id=layer.id,
                 changed={key: after[key] for key in after if after[key] != before[key]})
    return layer


def _layer_values(layer: ScheduleLayer) -> dict[str, Any]:
    return {"name": layer.name, "rotation": layer.rotation.value, "length_hours": layer.length_hours,
            "handoff_local": layer.handoff_local, "participants": list(layer.participants),
            "restrictions": list(layer.restrictions), "position": layer.position,
            "starts_at": layer.starts_at.isoformat() if layer.starts_at else None,
            "ends_at": layer.ends_at.isoformat() if layer.ends_at else None}


def remove_layer(*, db: Session, actor: Actor, layer: ScheduleLayer) -> None:
    actor.require(AccessRole.admin)
    audit.record(db=db, actor=actor, action="schedule.layer.remove", target_type="schedule",
                 target_id=layer.schedule_id, layer_id=layer.id, layer=_layer_values(layer))
    db.delete(layer)


# Overrides ---------------------------------------------------------------------------------------------


def get_override(*, db: Session, override_id: int) -> ScheduleOverride:
    override = db.get(ScheduleOverride, override_id)
    if override is None:
        raise NotFound(f"No schedule override #{override_id}.", field="override")
    return override


def list_overrides(*, db: Session, schedule: Schedule, start: datetime | None = None,
                   end: datetime | None = None) -> list[ScheduleOverride]:
    """The schedule's overrides meeting ``[start, end)`` (all when not given), oldest first."""
    query = sa.select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule.id)
    return list(db.scalars(_overlapping(query, start, end)
                           .order_by(ScheduleOverride.created_at, ScheduleOverride.id)))


def _overlapping(query: sa.Select[ScheduleOverride], start: datetime | None,
                 end: datetime | None) -> sa.Select[ScheduleOverride]:
    if start is not None:
        query = query.where(ScheduleOverride.end_at > start)
    if end is not None:
        query = query.where(ScheduleOverride.start_at < end)
    return query


def add_override(*, db: Session, actor: Actor, schedule: Schedule, user: int | str, start_at: datetime,
                 end_at: datetime, replaces: int | str | None = None) -> ScheduleOverride:
    """``user`` covers ``[start_at, end_at)`` (at most 90 days): for ``replaces`` only, or for whoever is on
    call (then gaps are covered too). Where overrides overlap, the newest wins."""
    actor.require(AccessRole.responder)
    start, end = _aware(start_at, "start_at"), _aware(end_at, "end_at")
    if end <= start:
        raise ValidationFailed("An override ends after it starts.", field="end_at")
    if end - start > MAX_OVERRIDE:
        raise ValidationFailed(f"An override lasts at most {MAX_OVERRIDE.days} days; for longer, change the "
                               "layer's participants.", field="end_at")
    covering = find_participant(db=db, who=user, field="user")
    replaced = None if replaces is None else find_participant(db=db, who=replaces, field="replaces")
    if replaced is not None and replaced.id == covering.id:
        raise ValidationFailed(f"@{covering.handle} cannot override themselves.", field="replaces")
    override = ScheduleOverride(schedule_id=schedule.id, user_id=covering.id,
                                replaces_user_id=replaced.id if replaced else None, start_at=start, end_at=end,
                                created_by_id=actor.user_id, created_at=actor.clock.now())
    db.add(override)
    db.flush()
    audit.record(db=db, actor=actor, action="schedule.override.add", target_type="schedule",
                 target_id=schedule.id, override_id=override.id, user=covering.handle,
                 replaces=replaced.handle if replaced else None, start_at=start.isoformat(),
                 end_at=end.isoformat())
    return override


def remove_override(*, db: Session, actor: Actor, override: ScheduleOverride) -> None:
    actor.require(AccessRole.responder)
    audit.record(db=db, actor=actor, action="schedule.override.remove", target_type="schedule",
                 target_id=override.schedule_id, override_id=override.id, user_id=override.user_id,
                 start_at=override.start_at.isoformat(), end_at=override.end_at.isoformat())
    db.delete(override)


# From rows to the rotation math ------------------------------------------------------------------------


def layer_spec(layer: ScheduleLayer, time_zone: str) -> rotation.LayerSpec:
    return rotation.LayerSpec(
        rotation=layer.rotation.value, handoff_local=datetime.fromisoformat(layer.handoff_local),
        participants=tuple(layer.participants), time_zone=time_zone, length_hours=layer.length_hours,
        restrictions=tuple(rotation.Restriction.of(r) for r in layer.restrictions),
        starts_at=layer.starts_at, ends_at=layer.ends_at, position=layer.position, id=layer.id, name=layer.name)


def override_spec(override: ScheduleOverride) -> rotation.OverrideSpec:
    return rotation.OverrideSpec(user_id=override.user_id, start=override.start_at, end=override.end_at,
                                 replaces_user_id=override.replaces_user_id, created_at=override.created_at,
                                 id=override.id)


def specs_of(*, db: Session, schedules: Sequence[Schedule], start: datetime | None = None,
             end: datetime | None = None) -> dict[int, rotation.ScheduleSpec]:
    """Rotation specs of several schedules in two queries: their layers, and overrides meeting the window."""
    ids = [schedule.id for schedule in schedules]
    if not ids:
        return {}
    layers = db.scalars(sa.select(ScheduleLayer).where(ScheduleLayer.schedule_id.in_(ids))
                        .order_by(ScheduleLayer.position, ScheduleLayer.id))
    overrides = db.scalars(_overlapping(sa.select(ScheduleOverride), start, end)
                           .where(ScheduleOverride.schedule_id.in_(ids))
                           .order_by(ScheduleOverride.created_at, ScheduleOverride.id))
    zones = {schedule.id: schedule.time_zone for schedule in schedules}
    layers_by: dict[int, list[rotation.LayerSpec]] = {i: [] for i in ids}
    overrides_by: dict[int, list[rotation.OverrideSpec]] = {i: [] for i in ids}
    for layer in layers:
        layers_by[layer.schedule_id].append(layer_spec(layer, zones[layer.schedule_id]))
    for override in overrides:
        overrides_by[override.schedule_id].append(override_spec(override))
    return {schedule.id: rotation.ScheduleSpec(time_zone=schedule.time_zone, layers=tuple(layers_by[schedule.id]),
                                               overrides=tuple(overrides_by[schedule.id]), id=schedule.id,
                                               name=schedule.name)
            for schedule in schedules}


def spec_of(*, db: Session, schedule: Schedule, start: datetime | None = None,
            end: datetime | None = None) -> rotation.ScheduleSpec:
    """The schedule as the rotation math sees it; overrides limited to those meeting ``[start, end)``."""
    return specs_of(db=db, schedules=[schedule], start=start, end=end)[schedule.id]


# Who is on call ----------------------------------------------------------------------------------------


def _users_by_id(db: Session, ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {user.id: user for user in db.scalars(sa.select(User).where(User.id.in_(ids)))}


def who_is_on_call(*, db: Session, at: datetime, schedule: Schedule | None = None,
                   team: Team | None = None) -> list[User]:
    """Who is on call at ``at`` on a schedule, or on any of a team's schedules (in schedule-name order).

    Deactivated people are left out — nobody should be paged who has left — but stay in ``timeline``,
    where an admin can see the rotation needs changing.
    """
    if schedule is not None and team is None:
        schedules = [schedule]
    elif team is not None and schedule is None:
        schedules = schedules_for_team(db=db, team=team)
    else:
        raise ValidationFailed("Ask who is on call for a schedule or for a team, not both.", field="schedule")
    at = as_utc(at)
    specs = specs_of(db=db, schedules=schedules, start=at, end=at + rotation.INSTANT)
    ids: list[int] = []
    for each in schedules:
        ids.extend(i for i in rotation.who_is_on_call(specs[each.id], at) if i not in ids)
    users = _users_by_id(db, set(ids))
    return [users[i] for i in ids if i in users and users[i].is_active]


@dataclass(frozen=True)
class TimelineShift:
    """A shift as people read it: who (with their handle), on which schedule, from when until when (UTC)."""

    schedule_id: int
    schedule_name: str
    user_id: int
    handle: str
    start: datetime
    end: datetime


def window(start: datetime, days: int) -> tuple[datetime, datetime]:
    """The instants ``days`` from ``start``: 1 to MAX_TIMELINE_DAYS days, ending before the calendar does."""
    if isinstance(days, bool) or not 1 <= days <= MAX_TIMELINE_DAYS:
        raise ValidationFailed(f"Show 1 to {MAX_TIMELINE_DAYS} days of a schedule.", field="days")
    begin = as_utc(start)
    try:
        return begin, begin + timedelta(days=days)
    except OverflowError:
        raise ValidationFailed("Start before the year 9999.", field="from") from None



def _with_handles(db: Session, schedule: Schedule, found: Sequence[rotation.Shift]) -> list[TimelineShift]:
    users = _users_by_id(db, {shift.user_id for shift in found})
    return [TimelineShift(schedule.id, schedule.name, s.user_id,
                          users[s.user_id].handle if s.user_id in users else f"user-{s.user_id}", s.start, s.end)
            for s in found]


def timeline(*, db: Session, schedule: Schedule, start: datetime, days: int) -> list[TimelineShift]:
    """The final shifts of the coming ``days`` from ``start``: what the UI's timeline and the .ics show."""
    begin, end = window(start, days)
    spec = spec_of(db=db, schedule=schedule, start=begin, end=end)
    return _with_handles(db, schedule, rotation.final_shifts(spec, begin, end))


def timeline_by_layer(*, db: Session, schedule: Schedule, start: datetime,
                      days: int) -> list[tuple[ScheduleLayer, list[TimelineShift]]]:
    """Each layer's own shifts (before layering and overrides), for the UI's per-layer rows."""
    begin, end = window(start, days)
    rows = []
    for layer in list_layers(db=db, schedule=schedule):
        found = rotation.shifts(layer_spec(layer, schedule.time_zone), begin, end)
        rows.append((layer, _with_handles(db, schedule, found)))
    return rows


def shifts_of_user(*, db: Session, user: User, start: datetime, days: int) -> list[TimelineShift]:
    """Everything ``user`` is on call for in the window, across every schedule, in time order."""
    begin, end = window(start, days)
    schedules = list_schedules(db=db)
    specs = specs_of(db=db, schedules=schedules, start=begin, end=end)
    mine = [TimelineShift(schedule.id, schedule.name, user.id, user.handle, s.start, s.end)
            for schedule in schedules
            for s in rotation.final_shifts(specs[schedule.id], begin, end) if s.user_id == user.id]
    return sorted(mine, key=lambda shift: (shift.start, shift.schedule_id))


def handles_of(*, db: Session, user_ids: Sequence[int]) -> dict[int, str]:
    return {i: user.handle for i, user in _users_by_id(db, set(user_ids)).items()}
