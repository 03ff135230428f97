"""What the on-call pages show, read in few queries: the board of who is on call, a schedule's timeline.

The timeline is an HTML table: one column per slot of time, each shift a cell spanning its slots
(``colspan``). The page's Content-Security-Policy forbids inline styles, and a table places blocks
exactly without them, with no script and no chart library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Membership, Team, User
from warroom.core.clock import as_utc
from warroom.core.errors import ValidationFailed
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.schedules import rotation
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride

SLOTS = 336  # columns of a timeline whatever its length: an hour each over two weeks
WINDOWS = (7, 14, 28)  # days a timeline can show
DEFAULT_DAYS = 14
LOOK_AHEAD = timedelta(days=14)  # how far the board looks for "until" and "next"
COLOURS = 8  # people get one of this many colours, the same on every row
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


# Times typed into forms ----------------------------------------------------------------------------------


def zone_of(name: str) -> ZoneInfo:
    return ZoneInfo(schedules.valid_time_zone(name))


def parse_moment(text: str, zone: str, field: str) -> datetime:
    """A time from a form: ``YYYY-MM-DDTHH:MM`` as wall-clock time in ``zone``, or ISO with its own offset."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"'{value}' is not a time; write it as YYYY-MM-DDTHH:MM, e.g. 2026-03-02T09:00.",
                               field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(zone))
    return as_utc(moment)


def local_input(moment: datetime, zone: str) -> str:
    """``moment`` as a datetime-local input's value in ``zone``."""
    return as_utc(moment).astimezone(ZoneInfo(zone)).strftime(INPUT_FORMAT)


def local_text(moment: datetime, zone: str) -> str:
    """``Mon 2 Mar 09:00`` in ``zone``: shifts read in the schedule's own time."""
    local = as_utc(moment).astimezone(ZoneInfo(zone))
    return f"{WEEKDAYS[local.weekday()]} {local.day} {local:%b %H:%M}"


# Who is on call: the board ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCallNow:
    """One schedule at a moment: who is on call, until when, and who comes next."""

    schedule: Schedule
    team: Team | None
    people: list[User]
    until: datetime | None
    next_person: User | None
    next_at: datetime | None


@dataclass(frozen=True)
class TeamOnCall:
    team: Team
    schedules: list[OnCallNow]
    members: int
    policy: EscalationPolicy | None

    @property
    def people(self) -> list[User]:
        found: dict[int, User] = {}
        for line in self.schedules:
            for person in line.people:
                found.setdefault(person.id, person)
        return list(found.values())


@dataclass(frozen=True)
class PolicyStep:
    delay_minutes: int
    targets: list[str]


@dataclass(frozen=True)
class PolicyView:
    policy: EscalationPolicy
    team: str | None
    steps: list[PolicyStep]


@dataclass(frozen=True)
class Board:
    at: datetime
    schedules: list[OnCallNow]
    teams: list[TeamOnCall]
    policies: list[PolicyView]


def _users(db: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(sa.select(User).where(User.id.in_(wanted)))}


def _on_call(spec: rotation.ScheduleSpec, at: datetime) -> tuple[list[int], datetime | None, rotation.Shift | None]:
    """Who is on call at ``at`` (by the same math paging uses), their shift's end, and the next shift."""
    ahead = rotation.final_shifts(spec, at, at + LOOK_AHEAD)
    current = [s for s in ahead if s.covers(at)]
    until = current[0].end if current and current[0].end < at + LOOK_AHEAD else None
    later = [s for s in ahead if s.start > at and (not current or s.user_id != current[0].user_id)]
    return rotation.who_is_on_call(spec, at), until, (later[0] if later else None)


def board(*, db: Session, at: datetime) -> Board:
    """Every schedule and team at ``at``: a handful of queries however many schedules there are."""
    found = schedules.list_schedules(db=db)
    specs = schedules.specs_of(db=db, schedules=found, start=at, end=at + LOOK_AHEAD)
    teams = accounts.list_teams(db=db)
    team_by_id = {t.id: t for t in teams}
    raw = {s.id: _on_call(specs[s.id], at) for s in found}
    users = _users(db, [i for ids, _, nxt in raw.values() for i in ids] + [n.user_id for *_, n in raw.values() if n])
    lines = []
    for s in found:
        ids, until, nxt = raw[s.id]
        people = [users[i] for i in ids if i in users and users[i].is_active]
        lines.append(OnCallNow(s, team_by_id.get(s.team_id) if s.team_id else None, people, until,
                               users.get(nxt.user_id) if nxt else None, nxt.start if nxt else None))
    counted = db.execute(sa.select(Membership.team_id, sa.func.count()).group_by(Membership.team_id))
    members = {team_id: int(n) for team_id, n in counted}
    found_policies = policies.list_policies(db=db)
    policy_of_team = {p.team_id: p for p in found_policies if p.team_id is not None}
    team_lines = [TeamOnCall(t, [line for line in lines if line.schedule.team_id == t.id], members.get(t.id, 0),
                             policy_of_team.get(t.id)) for t in teams]
    return Board(at, lines, team_lines, policy_views(db, found_policies, team_by_id))


def policy_views(db: Session, found: Sequence[EscalationPolicy], teams: dict[int, Team]) -> list[PolicyView]:
    """Escalation policies with their steps' targets named (three queries for all of them)."""
    steps = policies.steps_of(db=db, policies=found)
    names = policies.names_of(db=db, refs=[(str(t.get("type")), int(t.get("id", 0)))
                                           for each in steps.values() for step in each for t in step.targets])
    views = []
    for p in found:
        shown = [PolicyStep(step.delay_minutes, [_target_label(t, names) for t in step.targets])
                 for step in steps.get(p.id, [])]
        views.append(PolicyView(p, teams[p.team_id].slug if p.team_id in teams else None, shown))
    return views


def _target_label(target: dict[str, object], names: dict[tuple[str, int], str]) -> str:
    kind, ref = str(target.get("type")), int(str(target.get("id", 0)))
    name = names.get((kind, ref), f"#{ref}")
    return f"@{name}" if kind == "user" else f"{kind} {name}"


def page_targets(db: Session) -> list[str]:
    """What the "page someone" field suggests: team slugs, then @handles."""
    teams = [t.slug for t in accounts.list_teams(db=db)]
    people = [f"@{u.handle}" for u in accounts.list_users(db=db) if u.is_active]
    return teams + people


# A schedule's timeline ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A cell of a timeline row: someone's shift, or a gap (``handle`` empty)."""

    span: int
    handle: str = ""
    user_id: int = 0
    start: datetime | None = None
    end: datetime | None = None

    @property
    def colour(self) -> int:
        return self.user_id % COLOURS

    @property
    def label(self) -> str:
        """The @handle, where the cell is wide enough to show it (about three slots a character)."""
        text = f"@{self.handle}" if self.handle else ""
        return text if self.span >= 3 * len(text) + 4 else ""


@dataclass(frozen=True)
class Row:
    label: str
    detail: str
    kind: str  # layer, overrides, final
    blocks: list[Block]


@dataclass(frozen=True)
class Day:
    span: int
    label: str
    weekend: bool


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    days: int
    zone: str
    columns: list[Day]
    rows: list[Row]
    now_slot: int | None  # the column holding "now", when now is in the window
    slots: int = SLOTS

    @property
    def slot(self) -> timedelta:
        return (self.end - self.start) / self.slots

    @property
    def people(self) -> list[Block]:
        """One block per person drawn, in order of appearance: the legend of who has which colour."""
        seen: dict[str, Block] = {}
        for row in self.rows:
            for block in row.blocks:
                if block.handle:
                    seen.setdefault(block.handle, block)
        return list(seen.values())


@dataclass(frozen=True)
class Cover:
    """An override drawn on its own row: who covers, from, until."""

    user_id: int
    handle: str
    start: datetime
    end: datetime


class ShiftLike(Protocol):
    @property
    def user_id(self) -> int: ...
    @property
    def handle(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


def slot_of(moment: datetime, start: datetime, end: datetime, slots: int = SLOTS) -> int:
    """The column boundary nearest ``moment``, clamped to the window."""
    fraction = (moment - start) / (end - start)
    return max(0, min(slots, round(fraction * slots)))


def row_blocks(shifts: Iterable[ShiftLike], start: datetime, end: datetime,
               slots: int = SLOTS) -> list[Block]:
    """Cells for one row: each shift spans its slots, gaps fill between; every row spans ``slots`` in all.

    A shift too short to fill a slot is not drawn (the list under the timeline has it); overlapping shifts
    (overrides can overlap) are drawn from where the earlier one ends.
    """
    blocks: list[Block] = []
    cursor = 0
    for shift in sorted(shifts, key=lambda s: s.start):
        first = max(cursor, slot_of(shift.start, start, end, slots))
        last = slot_of(shift.end, start, end, slots)
        if last <= first:
            continue
        if first > cursor:
            blocks.append(Block(first - cursor))
        blocks.append(Block(last - first, shift.handle, shift.user_id, shift.start, shift.end))
        cursor = last
    if cursor < slots:
        blocks.append(Block(slots - cursor))
    return blocks


def day_columns(start: datetime, end: datetime, zone: str, slots: int = SLOTS) -> list[Day]:
    """The header: local days of the schedule's zone (a 23- or 25-hour day spans its true width).

    Four weeks leave a day too narrow for its weekday's name: then it is the date alone.
    """
    tz = ZoneInfo(zone)
    short = end - start > timedelta(days=DEFAULT_DAYS + 1)
    local_day = as_utc(start).astimezone(tz).date()
    days: list[Day] = []
    cursor = 0
    while cursor < slots:
        following = datetime.combine(local_day + timedelta(days=1), time(), tz)
        edge = slot_of(following, start, end, slots)
        if edge > cursor:
            name = str(local_day.day) if short else f"{WEEKDAYS[local_day.weekday()]} {local_day.day}"
            days.append(Day(edge - cursor, name, local_day.weekday() >= 5))
            cursor = edge
        local_day += timedelta(days=1)
    return days


def window(*, zone: str, now: datetime, first_day: date | None, days: int) -> tuple[datetime, datetime]:
    """From local midnight of ``first_day`` (default: today in the zone) for ``days`` days."""
    if days not in WINDOWS:
        raise ValidationFailed(f"Show {', '.join(map(str, WINDOWS))} days of a schedule.", field="days")
    tz = ZoneInfo(zone)
    day = first_day or as_utc(now).astimezone(tz).date()
    begin = as_utc(datetime.combine(day, time(), tz))
    return begin, as_utc(datetime.combine(day + timedelta(days=days), time(), tz))


def rotation_text(layer: ScheduleLayer) -> str:
    return f"every {layer.length_hours} hours" if layer.rotation.value == "custom" else layer.rotation.value


@dataclass(frozen=True)
class LayerView:
    layer: ScheduleLayer
    participants: list[str]

    @property
    def rotation_text(self) -> str:
        return rotation_text(self.layer)

    @property
    def restriction_texts(self) -> list[str]:
        texts = []
        for window_ in self.layer.restrictions:
            days = ", ".join(WEEKDAYS[d] for d in window_.get("days", []))
            texts.append(f"{days} {window_.get('start')}\N{EN DASH}{window_.get('end')}")
        return texts


@dataclass(frozen=True)
class OverrideView:
    override: ScheduleOverride
    handle: str
    replaces: str | None


@dataclass
class SchedulePage:
    schedule: Schedule
    team: Team | None
    timeline: Timeline
    layers: list[LayerView]
    overrides: list[OverrideView]
    final: list[schedules.TimelineShift]
    on_call: list[User] = field(default_factory=list)


def schedule_page(*, db: Session, ref: str, now: datetime, first_day: date | None, days: int) -> SchedulePage:
    schedule = schedules.get_schedule(db=db, ref=ref)
    start, end = window(zone=schedule.time_zone, now=now, first_day=first_day, days=days)
    span = days + 1  # a day more than shown: a window across a DST change is an hour longer
    by_layer = schedules.timeline_by_layer(db=db, schedule=schedule, start=start, days=span)
    final = [s for s in schedules.timeline(db=db, schedule=schedule, start=start, days=span) if s.start < end]
    # Every override still to come is listed, even past the window; the timeline draws those inside it.
    overrides = schedules.list_overrides(db=db, schedule=schedule, start=min(start, now))
    handles = schedules.handles_of(db=db, user_ids=[i for layer, _ in by_layer for i in layer.participants]
                                   + [o.user_id for o in overrides]
                                   + [o.replaces_user_id for o in overrides if o.replaces_user_id])
    rows = [Row(layer.name, rotation_text(layer), "layer", row_blocks(found, start, end))
            for layer, found in by_layer]
    drawn = [Cover(o.user_id, handles.get(o.user_id, "?"), o.start_at, o.end_at) for o in overrides
             if o.end_at > start and o.start_at < end]
    if drawn:
        rows.append(Row("Overrides", "cover", "overrides", row_blocks(drawn, start, end)))
    rows.append(Row("On call", "final", "final", row_blocks(final, start, end)))
    now_slot = int((now - start) / (end - start) * SLOTS) if start <= now < end else None
    timeline = Timeline(start, end, days, schedule.time_zone, day_columns(start, end, schedule.time_zone), rows,
                        now_slot)
    layers = [LayerView(layer, [handles.get(i, f"user-{i}") for i in layer.participants]) for layer, _ in by_layer]
    shown = [OverrideView(o, handles.get(o.user_id, "?"), handles.get(o.replaces_user_id)
                          if o.replaces_user_id else None) for o in overrides if o.end_at > now]
    team = db.get(Team, schedule.team_id) if schedule.team_id else None
    return SchedulePage(schedule, team, timeline, layers, shown, final,
                        schedules.who_is_on_call(db=db, at=now, schedule=schedule))
