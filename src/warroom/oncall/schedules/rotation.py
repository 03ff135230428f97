"""Who is on call when: the rotation math, pure (no database, no clock — every time is an argument).

A schedule has layers; each layer is a rotation of participants taking turns. Turns change at a
*hand-off*:

- daily and weekly rotations hand off at the same local wall-clock time in the schedule's zone, every
  1 or 7 local days, so a 09:00 hand-off stays at 09:00 across daylight-saving changes and the shift
  spanning a change is 23 or 25 hours (23.5 or 24.5 on Lord Howe Island) — never skipped, never doubled;
- custom rotations hand off every ``length_hours`` of real elapsed time from the first hand-off.

Local times that do not exist or exist twice (DST changes) are read as Python does with ``fold=0``
(PEP 495): an *ambiguous* time (autumn, the hour that repeats) means its first occurrence, in summer
time; a *non-existent* time (spring, the skipped hour) is read with the offset in force before the
change, which moves it forward by the length of the gap — 02:30 on the day Berlin springs forward is
03:30 summer time. The same rule applies to hand-offs and restriction windows, so every turn is
computed the same way, whatever day it falls on.

Restrictions cut a layer's shifts to windows of local time (business hours, nights); the rotation itself
keeps going underneath, so a restricted layer has gaps but the turn order does not shift.

Layers merge by position: a higher layer wins wherever it has someone, a lower one shows through its
gaps. Overrides then apply oldest first, so the newest wins where they overlap. An override naming whom
it replaces applies where that person is on call — rostered by the layers or covering through an older
override (so "dan covers carol, who covers bob" works, and so does a second cover for bob). An override
naming nobody covers its whole period, gaps included.

All intervals are half-open ``[start, end)`` in UTC: the hand-off instant belongs to the new person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

ROTATIONS = ("daily", "weekly", "custom")
DAYS_PER_TURN = {"daily": 1, "weekly": 7}
# Who is on call "at" an instant: the shifts over this sliver of time that starts there.
INSTANT = timedelta(microseconds=1)
LONG_AGO = datetime.min.replace(tzinfo=UTC)  # created_at of overrides built without one


# Specs: the rows, as plain values ---------------------------------------------------------------


@dataclass(frozen=True)
class Restriction:
    """On call only inside this window: from ``start`` on each of ``days`` (Monday=0) until ``end``.

    An ``end`` at or before ``start`` wraps past midnight into the next day (22:00-06:00 is a night).
    """

    days: frozenset[int]
    start: time
    end: time

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Restriction:
        """From the stored shape ``{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}`` (already valid)."""
        return cls(frozenset(int(d) for d in row["days"]), time.fromisoformat(row["start"]),
                   time.fromisoformat(row["end"]))

    @property
    def wraps(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True)
class LayerSpec:
    """One rotation of a schedule, in the schedule's zone."""

    rotation: str  # daily | weekly | custom
    handoff_local: datetime  # naive wall-clock time of the first hand-off, in time_zone
    participants: tuple[int, ...]
    time_zone: str
    length_hours: int = 24  # custom rotations only
    restrictions: tuple[Restriction, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    position: int = 0
    id: int | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.rotation not in ROTATIONS:
            raise ValueError(f"rotation is one of {', '.join(ROTATIONS)}, not {self.rotation!r}")
        if self.handoff_local.tzinfo is not None:
            raise ValueError("handoff_local is a wall-clock time without a zone; the zone is time_zone")
        if self.rotation == "custom" and self.length_hours < 1:
            raise ValueError("a custom rotation is at least one hour long")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class OverrideSpec:
    """``user_id`` covers ``[start, end)``: for ``replaces_user_id`` only, or for whoever is on call (None)."""

    user_id: int
    start: datetime
    end: datetime
    replaces_user_id: int | None = None
    created_at: datetime = LONG_AGO
    id: int | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    time_zone: str
    layers: tuple[LayerSpec, ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()
    id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Shift:
    """``user_id`` is on call over ``[start, end)`` (UTC)."""

    user_id: int
    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


# Local wall-clock time <-> UTC -----------------------------------------------------------------------


def utc_of_local(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in ``zone``; fold=0 at DST changes (see the module doc)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def local_of_utc(at: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock time in ``zone`` at the instant ``at``."""
    return at.astimezone(zone).replace(tzinfo=None)


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None:
            raise ValueError("times given to the rotation math carry a zone (use UTC)")


# Hand-offs and turns ---------------------------------------------------------------------------------


def handoff_at(layer: LayerSpec, turn: int) -> datetime:
    """When turn number ``turn`` begins (turn 0 begins at the first hand-off), in UTC."""
    zone = layer.zone
    if layer.rotation == "custom":
        return utc_of_local(layer.handoff_local, zone) + turn * timedelta(hours=layer.length_hours)
    wall = layer.handoff_local + timedelta(days=turn * DAYS_PER_TURN[layer.rotation])
    return utc_of_local(wall, zone)


def turn_at(layer: LayerSpec, at: datetime) -> int:
    """The number of the turn in progress at ``at``; negative before the first hand-off."""
    _require_aware(at)
    if layer.rotation == "custom":
        return (at - handoff_at(layer, 0)) // timedelta(hours=layer.length_hours)
    # Wall-clock arithmetic gives the turn to within one; DST offsets decide the rest.
    wall_elapsed = local_of_utc(at, layer.zone) - layer.handoff_local
    turn = wall_elapsed // timedelta(days=DAYS_PER_TURN[layer.rotation])
    while handoff_at(layer, turn) > at:
        turn -= 1
    while handoff_at(layer, turn + 1) <= at:
        turn += 1
    return turn


def participant_of_turn(layer: LayerSpec, turn: int) -> int | None:
    if turn < 0 or not layer.participants:
        return None
    return layer.participants[turn % len(layer.participants)]


def _active_window(layer: LayerSpec, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The part of ``[start, end)`` in which the layer runs: after its first hand-off, within its dates."""
    begin = max(start, handoff_at(layer, 0))
    if layer.starts_at is not None:
        begin = max(begin, layer.starts_at)
    if layer.ends_at is not None:
        end = min(end, layer.ends_at)
    return begin, end


def rotation_shifts(layer: LayerSpec, start: datetime, end: datetime) -> list[Shift]:
    """The layer's turns over ``[start, end)``, before restrictions."""
    _require_aware(start, end)
    begin, end = _active_window(layer, start, end)
    if not layer.participants or begin >= end:
        return []
    found: list[Shift] = []
    turn = turn_at(layer, begin)
    turn_start = handoff_at(layer, turn)
    while turn_start < end:
        turn_end = handoff_at(layer, turn + 1)
        user_id = participant_of_turn(layer, turn)
        # A turn can be empty where a zone skipped a whole day (Pacific/Apia, 2011-12-30).
        if user_id is not None and turn_end > turn_start:
            found.append(Shift(user_id, max(turn_start, begin), min(turn_end, end)))
        turn, turn_start = turn + 1, turn_end
    return found


# Restrictions -----------------------------------------------------------------------------------------


def _days_between(first: date, last: date) -> Iterable[date]:
    for n in range((last - first).days + 1):
        yield first + timedelta(days=n)


def restriction_windows(restrictions: Sequence[Restriction], zone: ZoneInfo, start: datetime,
                        end: datetime) -> list[tuple[datetime, datetime]]:
    """The UTC windows of ``restrictions`` meeting ``[start, end)``, clipped to it, merged, in order."""
    windows: list[tuple[datetime, datetime]] = []
    # A window starts on a local day and may run into the next, so look one day to each side.
    first = local_of_utc(start, zone).date() - timedelta(days=1)
    last = local_of_utc(end, zone).date() + timedelta(days=1)
    for day in _days_between(first, last):
        for restriction in restrictions:
            if day.weekday() not in restriction.days:
                continue
            end_day = day + timedelta(days=1) if restriction.wraps else day
            opens = utc_of_local(datetime.combine(day, restriction.start), zone)
            closes = utc_of_local(datetime.combine(end_day, restriction.end), zone)
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:  # empty when clipped away, or squeezed out by a DST gap
                windows.append((opens, closes))
    return _merge_windows(windows)


def _merge_windows(windows: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(windows):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def restrict(found: Sequence[Shift], windows: Sequence[tuple[datetime, datetime]]) -> list[Shift]:
    """Cut ordered shifts to ordered, disjoint windows."""
    cut: list[Shift] = []
    first_window = 0
    for shift in found:
        while first_window < len(windows) and windows[first_window][1] <= shift.start:
            first_window += 1
        index = first_window
        while index < len(windows) and windows[index][0] < shift.end:
            opens, closes = windows[index]
            cut.append(Shift(shift.user_id, max(shift.start, opens), min(shift.end, closes)))
            index += 1
    return cut


def shifts(layer: LayerSpec, start: datetime, end: datetime) -> list[Shift]:
    """The layer's shifts over ``[start, end)`` in UTC, in order, cut to its restrictions."""
    found = rotation_shifts(layer, start, end)
    if not layer.restrictions or not found:
        return found
    windows = restriction_windows(layer.restrictions, layer.zone, found[0].start, found[-1].end)
    return restrict(found, windows)


# Layers and overrides ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """A stretch of the final schedule; ``rostered`` is who the layers put there (None in a gap)."""

    user_id: int
    start: datetime
    end: datetime
    rostered: int | None = None


def _overlay(base: Sequence[_Piece], top: Sequence[_Piece]) -> list[_Piece]:
    """``top`` wins wherever it has someone; ``base`` shows through elsewhere. Both ordered, disjoint."""
    kept: list[_Piece] = []
    first_top = 0
    for piece in base:
        while first_top < len(top) and top[first_top].end <= piece.start:
            first_top += 1
        cursor, index = piece.start, first_top
        while index < len(top) and top[index].start < piece.end:
            if top[index].start > cursor:
                kept.append(replace(piece, start=cursor, end=top[index].start))
            cursor = max(cursor, top[index].end)
            index += 1
        if cursor < piece.end:
            kept.append(replace(piece, start=cursor))
    return sorted([*kept, *top], key=lambda p: p.start)


def layered_shifts(schedule: ScheduleSpec, start: datetime, end: datetime) -> list[_Piece]:
    """The layers merged: a higher position wins where it has someone on call."""
    merged: list[_Piece] = []
    for layer in sorted(schedule.layers, key=lambda spec: spec.position):
        pieces = [_Piece(s.user_id, s.start, s.end, s.user_id) for s in shifts(layer, start, end)]
        merged = _overlay(merged, pieces)
    return merged


def _gaps(pieces: Sequence[_Piece], start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    gaps: list[tuple[datetime, datetime]] = []
    cursor = start
    for piece in pieces:
        if piece.start > cursor:
            gaps.append((cursor, piece.start))
        cursor = max(cursor, piece.end)
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def _covered_by(override: OverrideSpec, pieces: Sequence[_Piece]) -> list[_Piece]:
    """Where ``override`` puts its user: over whom it replaces, or over the whole period (gaps too)."""
    if override.replaces_user_id is None:
        return [_Piece(override.user_id, override.start, override.end)]
    replaced = (override.replaces_user_id,)
    return [
        _Piece(override.user_id, max(p.start, override.start), min(p.end, override.end), p.rostered)
        for p in pieces
        # Whom it replaces may be rostered there, or be covering there through an older override.
        if (p.user_id in replaced or p.rostered in replaced) and p.start < override.end and p.end > override.start
    ]


def apply_override(pieces: Sequence[_Piece], override: OverrideSpec, start: datetime,
                   end: datetime) -> list[_Piece]:
    clipped = replace(override, start=max(override.start, start), end=min(override.end, end))
    if clipped.start >= clipped.end:
        return list(pieces)
    covering = _covered_by(clipped, pieces)
    if clipped.replaces_user_id is None:
        # Keep who the layers rostered under the override, so a later override can still name them.
        rostered = [replace(p, user_id=clipped.user_id, start=max(p.start, clipped.start),
                            end=min(p.end, clipped.end))
                    for p in pieces if p.start < clipped.end and p.end > clipped.start]
        gaps = [_Piece(clipped.user_id, s, e) for s, e in _gaps(rostered, clipped.start, clipped.end)]
        covering = sorted([*rostered, *gaps], key=lambda p: p.start)
    return _overlay(pieces, covering)


def newest_last(overrides: Iterable[OverrideSpec]) -> list[OverrideSpec]:
    """Overrides in the order they apply: oldest first, so the newest wins where they overlap."""
    return sorted(overrides, key=lambda o: (o.created_at, o.id if o.id is not None else 0))


def merge_adjacent(found: Iterable[Shift]) -> list[Shift]:
    merged: list[Shift] = []
    for shift in found:
        if merged and merged[-1].user_id == shift.user_id and merged[-1].end == shift.start:
            merged[-1] = Shift(shift.user_id, merged[-1].start, shift.end)
        else:
            merged.append(shift)
    return merged


def final_shifts(schedule: ScheduleSpec, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call over ``[start, end)``: layers merged, overrides applied, same-person shifts joined."""
    _require_aware(start, end)
    if start >= end:
        return []
    pieces = layered_shifts(schedule, start, end)
    for override in newest_last(schedule.overrides):
        pieces = apply_override(pieces, override, start, end)
    return merge_adjacent(Shift(p.user_id, p.start, p.end) for p in pieces)


def who_is_on_call(schedule: ScheduleSpec, at: datetime) -> list[int]:
    """The user ids on call at ``at`` (one, or none in a gap). A hand-off instant belongs to the new person."""
    return [shift.user_id for shift in final_shifts(schedule, at, at + INSTANT)]
