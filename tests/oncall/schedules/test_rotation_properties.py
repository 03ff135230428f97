"""Property checks: random layers over a year, compared instant by instant with a plain formula.

The formula below reads the local wall clock and counts whole days (or hours) since the first hand-off;
it shares nothing with the implementation's hand-off search. Hand-off and window times are drawn away
from the 01:00-04:00 hours where the zones here change their clocks, so the wall clock alone decides;
the DST-hour cases are pinned in test_rotation.py.
"""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.oncall.schedules.rotation import (
    LayerSpec,
    OverrideSpec,
    Restriction,
    ScheduleSpec,
    Shift,
    final_shifts,
    shifts,
    who_is_on_call,
)

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
SAFE_TIMES = [time(0), time(5, 30), time(6), time(8), time(9), time(12, 15), time(17), time(18), time(22),
              time(23, 45)]
YEAR_START, YEAR_END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
SEEDS = range(12)


# The formula ------------------------------------------------------------------------------------------


def inside_restrictions(layer: LayerSpec, wall: datetime) -> bool:
    if not layer.restrictions:
        return True
    weekday, clock = wall.weekday(), wall.time()
    for r in layer.restrictions:
        if not r.wraps and weekday in r.days and r.start <= clock < r.end:
            return True
        if r.wraps and ((weekday in r.days and clock >= r.start) or ((weekday - 1) % 7 in r.days and clock < r.end)):
            return True
    return False


def expected_person(layer: LayerSpec, at: datetime) -> int | None:
    """Who the layer puts on call at ``at``, from the wall clock and a count of whole turns."""
    if not layer.participants or (layer.starts_at and at < layer.starts_at) or (layer.ends_at and at >= layer.ends_at):
        return None
    zone = ZoneInfo(layer.time_zone)
    wall = at.astimezone(zone).replace(tzinfo=None)
    if layer.rotation == "custom":
        first = layer.handoff_local.replace(tzinfo=zone).astimezone(UTC)
        elapsed = (at - first).total_seconds()
        turn = int(elapsed // (layer.length_hours * 3600))
    else:
        days = (wall.date() - layer.handoff_local.date()).days
        if wall.time() < layer.handoff_local.time():
            days -= 1
        turn = days // (7 if layer.rotation == "weekly" else 1)
    if turn < 0 or not inside_restrictions(layer, wall):
        return None
    return layer.participants[turn % len(layer.participants)]


def expected_on_call(schedule: ScheduleSpec, at: datetime) -> int | None:
    """Top layer with someone, then every override in the order made (the newest applied last)."""
    rostered = None
    # Highest position first; among equals, the one listed last (as a stable sort leaves them on top).
    for _, _, layer in sorted(((spec.position, n, spec) for n, spec in enumerate(schedule.layers)),
                              key=lambda item: (item[0], item[1]), reverse=True):
        rostered = expected_person(layer, at)
        if rostered is not None:
            break
    person = rostered
    for override in sorted(schedule.overrides, key=lambda o: (o.created_at, o.id or 0)):
        replaces = override.replaces_user_id
        if override.start <= at < override.end and (replaces is None or replaces in (person, rostered)):
            person = override.user_id
    return person


# Random schedules -------------------------------------------------------------------------------------


def random_restrictions(rng: random.Random) -> tuple[Restriction, ...]:
    if rng.random() < 0.4:
        return ()
    return tuple(Restriction(frozenset(rng.sample(range(7), rng.randint(1, 7))), rng.choice(SAFE_TIMES),
                             rng.choice(SAFE_TIMES)) for _ in range(rng.randint(1, 3)))


def random_layer(rng: random.Random, zone: str, position: int = 0) -> LayerSpec:
    rotation = rng.choice(["daily", "weekly", "custom"])
    first = datetime(2025, 12, 1) + timedelta(days=rng.randint(0, 90))
    handoff = datetime.combine(first.date(), rng.choice(SAFE_TIMES))
    starts_at = ends_at = None
    if rng.random() < .3:
        starts_at = YEAR_START + timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 23))
    if rng.random() < .3:
        ends_at = YEAR_START + timedelta(days=rng.randint(201, 400), minutes=rng.randint(0, 59))
    return LayerSpec(rotation=rotation, handoff_local=handoff,
                     participants=tuple(rng.choice(range(1, 6)) for _ in range(rng.randint(0, 5))),
                     time_zone=zone, length_hours=rng.choice([1, 5, 12, 24, 36, 72, 100]),
                     restrictions=random_restrictions(rng), starts_at=starts_at, ends_at=ends_at,
                     position=position)


def random_overrides(rng: random.Random, count: int) -> tuple[OverrideSpec, ...]:
    made = []
    for n in range(count):
        start = YEAR_START + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        made.append(OverrideSpec(user_id=rng.randint(1, 6), start=start,
                                 end=start + timedelta(minutes=rng.randint(30, 20 * 24 * 60)),
                                 replaces_user_id=rng.choice([None, 1, 2, 3, 4, 5]),
                                 created_at=YEAR_START - timedelta(minutes=rng.randint(0, 10_000)), id=n + 1))
    return tuple(made)


def sample_instants(rng: random.Random, found: list[Shift], count: int = 600) -> list[datetime]:
    edges = [moment for s in found for moment in (s.start, s.end)]
    near_edges = [m + d for m in rng.sample(edges, min(len(edges), 200))
                  for d in (timedelta(0), -timedelta(microseconds=1))]
    spread = [YEAR_START + timedelta(seconds=rng.randint(0, 365 * 86400 - 1)) for _ in range(count)]
    return [m for m in near_edges + spread if YEAR_START <= m < YEAR_END]


def person_at(found: list[Shift], at: datetime) -> int | None:
    index = bisect.bisect_right([s.start for s in found], at) - 1
    return found[index].user_id if index >= 0 and found[index].covers(at) else None


def assert_ordered_and_disjoint(found: list[Shift]) -> None:
    assert all(s.start < s.end for s in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    assert all(s.start >= YEAR_START and s.end <= YEAR_END for s in found)


# Properties -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("seed", SEEDS)
def test_layer_shifts_tile_the_year_as_the_formula_says(zone, seed):
    rng = random.Random(f"{zone}-{seed}")
    layer = random_layer(rng, zone)
    found = shifts(layer, YEAR_START, YEAR_END)

    assert_ordered_and_disjoint(found)
    if not layer.restrictions and found:
        # Unrestricted: no gaps from the first moment the layer runs to the last.
        assert all(a.end == b.start for a, b in itertools.pairwise(found))
        assert found[0].start == max(m for m in (YEAR_START, layer.starts_at, found[0].start) if m)
        assert found[-1].end == min(m for m in (YEAR_END, layer.ends_at) if m)
    for at in sample_instants(rng, found):
        assert person_at(found, at) == expected_person(layer, at), at


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("seed", SEEDS)
def test_final_shifts_match_layers_and_overrides_instant_by_instant(zone, seed):
    rng = random.Random(f"final-{zone}-{seed}")
    spec = ScheduleSpec(time_zone=zone, layers=tuple(random_layer(rng, zone, rng.randint(0, 3))
                                                     for _ in range(rng.randint(1, 3))),
                        overrides=random_overrides(rng, rng.randint(0, 12)))
    found = final_shifts(spec, YEAR_START, YEAR_END)

    assert_ordered_and_disjoint(found)
    assert not any(a.user_id == b.user_id and a.end == b.start for a, b in itertools.pairwise(found))
    instants = sample_instants(rng, found)
    for at in instants:
        assert person_at(found, at) == expected_on_call(spec, at), at
    for at in instants[:60]:
        expected = expected_on_call(spec, at)
        assert who_is_on_call(spec, at) == ([] if expected is None else [expected]), at


@pytest.mark.parametrize("zone", ZONES)
def test_any_window_agrees_with_the_whole_year(zone):
    rng = random.Random(f"window-{zone}")
    spec = ScheduleSpec(time_zone=zone, layers=(random_layer(rng, zone, 0), random_layer(rng, zone, 1)),
                        overrides=random_overrides(rng, 6))
    year = final_shifts(spec, YEAR_START, YEAR_END)
    for _ in range(40):
        start = YEAR_START + timedelta(minutes=rng.randint(0, 360 * 24 * 60))
        end = min(start + timedelta(minutes=rng.randint(1, 20 * 24 * 60)), YEAR_END)
        clipped = [Shift(s.user_id, max(s.start, start), min(s.end, end))
                   for s in year if s.end > start and s.start < end]
        assert final_shifts(spec, start, end) == clipped
