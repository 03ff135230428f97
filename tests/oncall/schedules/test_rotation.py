"""The rotation math on hand-picked cases: DST changes, restrictions, layers, overrides, boundaries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from warroom.oncall.schedules.rotation import (
    LayerSpec,
    OverrideSpec,
    Restriction,
    ScheduleSpec,
    Shift,
    final_shifts,
    handoff_at,
    shifts,
    turn_at,
    who_is_on_call,
)

BOB, CAROL, DAN, ERIN = 1, 2, 3, 4
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
BUSINESS_HOURS = (Restriction(frozenset(range(5)), datetime.min.time().replace(hour=9),
                              datetime.min.time().replace(hour=17)),)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def at_local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)  # type: ignore[misc]


def wall(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def layer(rotation: str = "daily", handoff: str = "2026-01-05T09:00", people: tuple[int, ...] = (BOB, CAROL, DAN),
          zone: str = "Europe/Berlin", **kwargs: object) -> LayerSpec:
    return LayerSpec(rotation=rotation, handoff_local=datetime.fromisoformat(handoff), participants=people,
                     time_zone=zone, **kwargs)  # type: ignore[arg-type]


def schedule(*layers: LayerSpec, overrides: tuple[OverrideSpec, ...] = (), zone: str = "Europe/Berlin") -> ScheduleSpec:
    return ScheduleSpec(time_zone=zone, layers=layers, overrides=overrides)


# Daylight-saving changes: 2026 dates. Lord Howe moves by 30 minutes.
DST_CHANGES = [
    # zone, day of the change, how much shorter (+) or longer (-) that local day is
    ("Europe/Berlin", "2026-03-29", HOUR),
    ("Europe/Berlin", "2026-10-25", -HOUR),
    ("America/New_York", "2026-03-08", HOUR),
    ("America/New_York", "2026-11-01", -HOUR),
    ("Australia/Lord_Howe", "2026-10-04", HOUR / 2),
    ("Australia/Lord_Howe", "2026-04-05", -HOUR / 2),
]


@pytest.mark.parametrize(("zone", "change_day", "shorter"), DST_CHANGES)
def test_daily_handoff_stays_at_nine_local_across_dst(zone, change_day, shorter):
    day = datetime.fromisoformat(change_day)
    spec = layer("daily", (day - 5 * DAY).replace(hour=9).isoformat(timespec="minutes"), zone=zone)
    start = at_local(zone, day.year, day.month, day.day) - 4 * DAY
    found = shifts(spec, start, start + 10 * DAY)[1:-1]  # whole shifts only

    assert [wall(s.start, zone).time().isoformat() for s in found] == ["09:00:00"] * len(found)
    local_days = [wall(s.start, zone).date() for s in found]
    assert local_days == [local_days[0] + n * DAY for n in range(len(found))]  # none skipped, none doubled
    spanning = [s for s in found if wall(s.start, zone).date() == (day - DAY).date()]
    assert [s.duration for s in spanning] == [DAY - shorter]
    assert {s.duration for s in found if s not in spanning} == {DAY}
    people = [s.user_id for s in found]
    assert all(people[n + 1] == (BOB, CAROL, DAN)[(people[n] % 3)] for n in range(len(people) - 1))


@pytest.mark.parametrize(("zone", "change_day", "shorter"), DST_CHANGES)
def test_weekly_handoff_stays_at_monday_nine_local_across_dst(zone, change_day, shorter):
    day = datetime.fromisoformat(change_day)
    monday = day - timedelta(days=day.weekday() + 21)
    spec = layer("weekly", monday.replace(hour=9).isoformat(timespec="minutes"), people=(BOB, CAROL), zone=zone)
    found = shifts(spec, at_local(zone, monday.year, monday.month, monday.day, 9), at_local(zone, 2027, 1, 1))[:8]

    assert {wall(s.start, zone).strftime("%A %H:%M") for s in found} == {"Monday 09:00"}
    assert [s.user_id for s in found] == [BOB, CAROL] * 4
    week = 7 * DAY
    assert sorted({s.duration for s in found}) == sorted({week, week - shorter})
    assert [s.duration for s in found].count(week - shorter) == 1


def test_kolkata_has_no_dst_so_every_shift_is_a_day():
    spec = layer("daily", "2026-01-01T09:00", zone="Asia/Kolkata")
    found = shifts(spec, utc(2026, 1, 1), utc(2027, 1, 1))
    assert found[0].start == utc(2026, 1, 1, 3, 30)  # 09:00 IST is 03:30 UTC
    assert {s.duration for s in found[:-1]} == {DAY} and len(found) == 365


def test_custom_rotation_counts_real_hours_so_its_local_handoff_moves_with_dst():
    spec = layer("custom", "2026-03-28T08:00", length_hours=12)
    found = shifts(spec, utc(2026, 3, 28), utc(2026, 3, 31))
    assert {s.duration for s in found[:-1]} == {12 * HOUR}
    assert [wall(s.start, "Europe/Berlin").hour for s in found[:4]] == [8, 20, 9, 21]


def test_a_handoff_in_the_skipped_hour_moves_forward_by_the_gap():
    # 02:30 does not exist in Berlin on 2026-03-29: read with the winter offset, it is 03:30 summer time.
    spec = layer("daily", "2026-03-27T02:30", people=(BOB, CAROL))
    found = shifts(spec, utc(2026, 3, 27), utc(2026, 4, 1))
    assert [wall(s.start, "Europe/Berlin").strftime("%d %H:%M") for s in found[:5]] == [
        "27 02:30", "28 02:30", "29 03:30", "30 02:30", "31 02:30"]
    assert [s.duration for s in found[:4]] == [DAY, DAY, 23 * HOUR, DAY]  # 02:30 CET to 02:30 CEST is 23 h
    assert [s.user_id for s in found[:5]] == [BOB, CAROL, BOB, CAROL, BOB]


def test_a_handoff_in_the_repeated_hour_is_its_first_occurrence():
    spec = layer("daily", "2026-10-24T02:30", people=(BOB, CAROL))
    found = shifts(spec, utc(2026, 10, 24), utc(2026, 10, 28))
    assert found[1].start == at_local("Europe/Berlin", 2026, 10, 25, 2, 30, fold=0) == utc(2026, 10, 25, 0, 30)
    assert [s.duration for s in found[:3]] == [DAY, 25 * HOUR, DAY]


def test_who_is_on_call_inside_the_changing_hour():
    # Berlin, 2026-10-25: 02:30 happens twice; the hand-off is at the first (00:30 UTC). At 02:10 the second
    # time round (01:10 UTC) the wall clock reads earlier than 02:30, but CAROL's turn has begun.
    autumn = schedule(layer("daily", "2026-10-24T02:30", people=(BOB, CAROL)))
    assert who_is_on_call(autumn, utc(2026, 10, 25, 0, 29)) == [BOB]
    assert who_is_on_call(autumn, at_local("Europe/Berlin", 2026, 10, 25, 2, 10, fold=1)) == [CAROL]
    # 2026-03-29: 02:30 does not exist, the hand-off is at 03:30 CEST; at 03:10 CEST it is still BOB's turn.
    spring = schedule(layer("daily", "2026-03-28T02:30", people=(BOB, CAROL)))
    assert who_is_on_call(spring, at_local("Europe/Berlin", 2026, 3, 29, 3, 10)) == [BOB]
    assert who_is_on_call(spring, at_local("Europe/Berlin", 2026, 3, 29, 3, 30)) == [CAROL]


def test_lord_howe_half_hour_gap_moves_a_0215_handoff_to_0245():
    spec = layer("daily", "2026-10-02T02:15", zone="Australia/Lord_Howe")
    found = shifts(spec, utc(2026, 10, 1), utc(2026, 10, 7))
    assert [wall(s.start, "Australia/Lord_Howe").strftime("%d %H:%M") for s in found[:4]] == [
        "02 02:15", "03 02:15", "04 02:45", "05 02:15"]


def test_first_handoff_can_itself_be_in_a_dst_gap():
    spec = layer("daily", "2026-03-29T02:30")
    assert handoff_at(spec, 0) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    assert who_is_on_call(schedule(spec), utc(2026, 3, 29, 1, 29)) == []
    assert who_is_on_call(schedule(spec), utc(2026, 3, 29, 1, 30)) == [BOB]


def test_nobody_before_the_first_handoff():
    spec = layer("daily", "2026-01-05T09:00")
    assert turn_at(spec, utc(2026, 1, 1)) < 0
    assert shifts(spec, utc(2026, 1, 1), utc(2026, 1, 6))[0].start == utc(2026, 1, 5, 8)
    assert who_is_on_call(schedule(spec), utc(2026, 1, 5, 7, 59)) == []


def test_no_participants_means_nobody():
    spec = layer(people=())
    assert shifts(spec, utc(2026, 1, 1), utc(2026, 2, 1)) == []
    assert final_shifts(schedule(spec), utc(2026, 1, 1), utc(2026, 2, 1)) == []


def test_layer_dates_bound_its_shifts_but_not_its_turn_order():
    spec = layer(starts_at=utc(2026, 1, 7, 12), ends_at=utc(2026, 1, 9, 20))
    assert shifts(spec, utc(2026, 1, 1), utc(2026, 2, 1)) == [
        Shift(DAN, utc(2026, 1, 7, 12), utc(2026, 1, 8, 8)),  # turn 2 was already under way
        Shift(BOB, utc(2026, 1, 8, 8), utc(2026, 1, 9, 8)),
        Shift(CAROL, utc(2026, 1, 9, 8), utc(2026, 1, 9, 20)),
    ]


def test_handoff_instant_belongs_to_the_new_person():
    spec = schedule(layer())
    handoff = utc(2026, 1, 6, 8)  # 09:00 Berlin
    assert who_is_on_call(spec, handoff - timedelta(microseconds=1)) == [BOB]
    assert who_is_on_call(spec, handoff) == [CAROL]


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="zone"):
        shifts(layer(), datetime(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="rotation"):
        layer("fortnightly")


# Restrictions ---------------------------------------------------------------------------------------------


def test_business_hours_cut_a_weekly_rotation_into_weekday_windows():
    spec = layer("weekly", "2026-01-05T09:00", people=(BOB, CAROL), restrictions=BUSINESS_HOURS)
    found = shifts(spec, utc(2026, 1, 5), utc(2026, 1, 19))
    assert len(found) == 10 and [s.user_id for s in found] == [BOB] * 5 + [CAROL] * 5
    assert {(wall(s.start, "Europe/Berlin").hour, wall(s.end, "Europe/Berlin").hour) for s in found} == {(9, 17)}
    assert {wall(s.start, "Europe/Berlin").weekday() for s in found} == set(range(5))
    assert who_is_on_call(schedule(spec), utc(2026, 1, 10, 12)) == []  # a Saturday: a gap


def test_business_hours_stay_local_across_dst():
    spec = layer("daily", "2026-03-23T09:00", restrictions=BUSINESS_HOURS)
    found = shifts(spec, utc(2026, 3, 23), utc(2026, 4, 4))
    assert {(wall(s.start, "Europe/Berlin").time().hour, wall(s.end, "Europe/Berlin").hour) for s in found} == {
        (9, 17)}
    assert found[0].start == utc(2026, 3, 23, 8) and found[-1].start == utc(2026, 4, 3, 7)


def test_night_window_wraps_past_midnight():
    nights = (Restriction(frozenset({4}), datetime.min.time().replace(hour=22), datetime.min.time().replace(hour=6)),)
    spec = layer("daily", "2026-01-05T12:00", people=(BOB, CAROL), restrictions=nights)
    found = shifts(spec, utc(2026, 1, 5), utc(2026, 1, 19))
    # Friday 22:00 to Saturday 06:00 Berlin, inside Friday noon's turn (turn 4 is BOB's, turn 11 CAROL's).
    assert found == [Shift(BOB, utc(2026, 1, 9, 21), utc(2026, 1, 10, 5)),
                     Shift(CAROL, utc(2026, 1, 16, 21), utc(2026, 1, 17, 5))]


def test_a_window_squeezed_out_by_the_spring_gap_is_empty_that_day():
    # 02:30-03:15 on 2026-03-29 Berlin: 02:30 reads as 03:30 summer time, after 03:15, so no window that day.
    early = (Restriction(frozenset(range(7)), datetime.min.time().replace(hour=2, minute=30),
                         datetime.min.time().replace(hour=3, minute=15)),)
    found = shifts(layer("daily", "2026-03-27T12:00", people=(BOB,), restrictions=early),
                   utc(2026, 3, 28), utc(2026, 3, 31))
    assert [(wall(s.start, "Europe/Berlin").strftime("%d %H:%M"), s.duration) for s in found] == [
        ("28 02:30", 45 * timedelta(minutes=1)), ("30 02:30", 45 * timedelta(minutes=1))]


def test_a_handoff_inside_a_window_splits_it_between_two_people():
    spec = layer("daily", "2026-01-05T12:00", people=(BOB, CAROL), restrictions=BUSINESS_HOURS)
    found = shifts(spec, utc(2026, 1, 6), utc(2026, 1, 7))
    assert found == [Shift(BOB, utc(2026, 1, 6, 8), utc(2026, 1, 6, 11)),
                     Shift(CAROL, utc(2026, 1, 6, 11), utc(2026, 1, 6, 16))]


# Layers --------------------------------------------------------------------------------------------------


def test_higher_layer_wins_where_it_has_someone_and_the_lower_shows_through_its_gaps():
    base = layer("weekly", "2026-01-05T09:00", people=(BOB,), position=0)
    daytime = layer("daily", "2026-01-05T09:00", people=(CAROL, DAN), restrictions=BUSINESS_HOURS, position=1)
    spec = schedule(daytime, base)  # list order does not matter, position does
    found = final_shifts(spec, utc(2026, 1, 5, 8), utc(2026, 1, 7, 8))
    assert found == [Shift(CAROL, utc(2026, 1, 5, 8), utc(2026, 1, 5, 16)),
                     Shift(BOB, utc(2026, 1, 5, 16), utc(2026, 1, 6, 8)),
                     Shift(DAN, utc(2026, 1, 6, 8), utc(2026, 1, 6, 16)),
                     Shift(BOB, utc(2026, 1, 6, 16), utc(2026, 1, 7, 8))]


def test_same_person_on_adjacent_shifts_is_one_shift():
    spec = schedule(layer("daily", people=(BOB, BOB, CAROL)))
    found = final_shifts(spec, utc(2026, 1, 5, 8), utc(2026, 1, 9, 8))
    assert found == [Shift(BOB, utc(2026, 1, 5, 8), utc(2026, 1, 7, 8)), Shift(CAROL, utc(2026, 1, 7, 8),
                                                                                  utc(2026, 1, 8, 8)),
                     Shift(BOB, utc(2026, 1, 8, 8), utc(2026, 1, 9, 8))]


# Overrides -----------------------------------------------------------------------------------------------

WEEK_OF_BOB = layer("weekly", "2026-01-05T09:00", people=(BOB, CAROL))


def override(user: int, start: datetime, end: datetime, replaces: int | None = None, made: int = 0) -> OverrideSpec:
    return OverrideSpec(user_id=user, start=start, end=end, replaces_user_id=replaces,
                        created_at=utc(2026, 1, 1) + made * HOUR, id=made)


def test_override_covers_for_the_person_it_replaces():
    spec = schedule(WEEK_OF_BOB, overrides=(override(DAN, utc(2026, 1, 6), utc(2026, 1, 7), replaces=BOB),))
    assert who_is_on_call(spec, utc(2026, 1, 6, 12)) == [DAN]
    assert who_is_on_call(spec, utc(2026, 1, 7)) == [BOB]  # the override's end is the rotation's again


def test_override_naming_someone_else_changes_nothing():
    spec = schedule(WEEK_OF_BOB, overrides=(override(DAN, utc(2026, 1, 6), utc(2026, 1, 7), replaces=CAROL),))
    assert final_shifts(spec, utc(2026, 1, 5), utc(2026, 1, 12)) == final_shifts(
        schedule(WEEK_OF_BOB), utc(2026, 1, 5), utc(2026, 1, 12))


def test_override_for_whoever_is_on_call_covers_gaps_too():
    restricted = layer("daily", people=(BOB,), restrictions=BUSINESS_HOURS)
    spec = schedule(restricted, overrides=(override(DAN, utc(2026, 1, 6, 12), utc(2026, 1, 6, 20)),))
    assert final_shifts(spec, utc(2026, 1, 6), utc(2026, 1, 7)) == [
        Shift(BOB, utc(2026, 1, 6, 8), utc(2026, 1, 6, 12)),
        Shift(DAN, utc(2026, 1, 6, 12), utc(2026, 1, 6, 20))]


def test_overriding_an_override():
    carol_covers_bob = override(CAROL, utc(2026, 1, 6), utc(2026, 1, 9), replaces=BOB, made=1)
    dan_covers_carol = override(DAN, utc(2026, 1, 7), utc(2026, 1, 8), replaces=CAROL, made=2)
    spec = schedule(WEEK_OF_BOB, overrides=(dan_covers_carol, carol_covers_bob))
    assert final_shifts(spec, utc(2026, 1, 5, 8), utc(2026, 1, 12, 8)) == [
        Shift(BOB, utc(2026, 1, 5, 8), utc(2026, 1, 6)),
        Shift(CAROL, utc(2026, 1, 6), utc(2026, 1, 7)),
        Shift(DAN, utc(2026, 1, 7), utc(2026, 1, 8)),
        Shift(CAROL, utc(2026, 1, 8), utc(2026, 1, 9)),
        Shift(BOB, utc(2026, 1, 9), utc(2026, 1, 12, 8))]


def test_newest_override_wins_where_overrides_overlap():
    older = override(CAROL, utc(2026, 1, 6), utc(2026, 1, 8), replaces=BOB, made=1)
    newer = override(DAN, utc(2026, 1, 7), utc(2026, 1, 9), replaces=BOB, made=2)
    for order in ((older, newer), (newer, older)):
        spec = schedule(WEEK_OF_BOB, overrides=order)
        assert final_shifts(spec, utc(2026, 1, 6), utc(2026, 1, 10)) == [
            Shift(CAROL, utc(2026, 1, 6), utc(2026, 1, 7)),
            Shift(DAN, utc(2026, 1, 7), utc(2026, 1, 9)),
            Shift(BOB, utc(2026, 1, 9), utc(2026, 1, 10))]
    # The same two, made the other way round: the older one now shows only where the newer does not reach.
    swapped = (override(CAROL, utc(2026, 1, 6), utc(2026, 1, 8), replaces=BOB, made=2),
               override(DAN, utc(2026, 1, 7), utc(2026, 1, 9), replaces=BOB, made=1))
    assert final_shifts(schedule(WEEK_OF_BOB, overrides=swapped), utc(2026, 1, 6), utc(2026, 1, 10)) == [
        Shift(CAROL, utc(2026, 1, 6), utc(2026, 1, 8)),
        Shift(DAN, utc(2026, 1, 8), utc(2026, 1, 9)),
        Shift(BOB, utc(2026, 1, 9), utc(2026, 1, 10))]


def test_override_by_the_person_on_call_next_joins_their_shift():
    spec = schedule(WEEK_OF_BOB, overrides=(override(CAROL, utc(2026, 1, 11), utc(2026, 1, 12, 8), BOB),))
    found = final_shifts(spec, utc(2026, 1, 5, 8), utc(2026, 1, 19, 8))
    assert found == [Shift(BOB, utc(2026, 1, 5, 8), utc(2026, 1, 11)),
                     Shift(CAROL, utc(2026, 1, 11), utc(2026, 1, 19, 8))]


def test_override_boundaries_are_half_open():
    spec = schedule(WEEK_OF_BOB, overrides=(override(DAN, utc(2026, 1, 6, 10), utc(2026, 1, 6, 11)),))
    assert who_is_on_call(spec, utc(2026, 1, 6, 10) - timedelta(microseconds=1)) == [BOB]
    assert who_is_on_call(spec, utc(2026, 1, 6, 10)) == [DAN]
    assert who_is_on_call(spec, utc(2026, 1, 6, 11)) == [BOB]


def test_final_shifts_stay_inside_the_window_asked_for():
    spec = schedule(WEEK_OF_BOB, overrides=(override(DAN, utc(2026, 1, 1), utc(2026, 3, 1)),))
    assert final_shifts(spec, utc(2026, 2, 1), utc(2026, 2, 2)) == [Shift(DAN, utc(2026, 2, 1), utc(2026, 2, 2))]
    assert final_shifts(spec, utc(2026, 2, 2), utc(2026, 2, 1)) == []
