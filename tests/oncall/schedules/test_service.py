"""Schedules through the service: validation that writes nothing, permissions, audit, who is on call."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import User
from warroom.audit.models import AuditEntry
from warroom.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import RotationKind, ScheduleLayer
from warroom.oncall.schedules.rotation import Shift, final_shifts

from ..conftest import stored

MONDAY_9_BERLIN = datetime(2026, 1, 5, 8, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.fixture
def platform(runtime, admin, people):
    """Platform primary (Berlin, team engineering): weekly bob → dan, Mondays 09:00."""
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        schedule = schedules.create_schedule(db=db, actor=admin, slug="platform-primary", name="Platform primary",
                                             time_zone="Europe/Berlin", team=team)
        schedules.add_layer(db=db, actor=admin, schedule=schedule, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["@bob", people["dan"].id])
        return schedule


def actions(runtime) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def on_call(runtime, at, **target) -> list[str]:
    with runtime.database.reading() as db:
        return [u.handle for u in schedules.who_is_on_call(db=db, at=at, **target)]


@contextmanager
def refused(runtime, error: type[Exception], match: str, field: str | None = None) -> Iterator[None]:
    """The call inside raises ``error``; even if the caller then commits, nothing at all was written."""
    before = stored(runtime)
    with runtime.database.writing() as db:
        with pytest.raises(error, match=match) as raised:
            yield db
        db.flush()
    if field is not None:
        assert raised.value.field == field  # type: ignore[attr-defined]
    assert stored(runtime) == before


def test_a_weekly_rotation_answers_who_is_on_call(runtime, platform, people):
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-primary")
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=schedule) == ["bob"]
    assert on_call(runtime, MONDAY_9_BERLIN + WEEK - timedelta(microseconds=1), schedule=schedule) == ["bob"]
    assert on_call(runtime, MONDAY_9_BERLIN + WEEK, schedule=schedule) == ["dan"]
    assert on_call(runtime, MONDAY_9_BERLIN - timedelta(microseconds=1), schedule=schedule) == []
    assert actions(runtime)[-2:] == ["schedule.create", "schedule.layer.add"]


def test_get_schedule_by_slug_or_id(runtime, platform):
    with runtime.database.reading() as db:
        assert schedules.get_schedule(db=db, ref=platform.id).slug == "platform-primary"
        assert schedules.get_schedule(db=db, ref=str(platform.id)).id == platform.id
        assert schedules.get_schedule(db=db, ref="Platform-Primary").id == platform.id
        with pytest.raises(NotFound, match="No schedule 'nope'"):
            schedules.get_schedule(db=db, ref="nope")


def test_who_is_on_call_for_a_team_covers_every_schedule_of_the_team(runtime, admin, platform, people):
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        second = schedules.create_schedule(db=db, actor=admin, slug="platform-secondary", name="Platform secondary",
                                           time_zone="America/New_York", team=team)
        schedules.add_layer(db=db, actor=admin, schedule=second, rotation="daily",
                            handoff_local="2026-01-01T00:00", participants=["alice", "bob"])
        other = schedules.create_schedule(db=db, actor=admin, slug="support", name="Support",
                                          time_zone="UTC", team=accounts.find_team(db=db, name="customer-support"))
        schedules.add_layer(db=db, actor=admin, schedule=other, rotation="daily",
                            handoff_local="2026-01-01T00:00", participants=["carol"])
    with runtime.database.reading() as db:
        team = accounts.find_team(db=db, name="engineering")
        assert [s.slug for s in schedules.schedules_for_team(db=db, team=team)] == [
            "platform-primary", "platform-secondary"]
        # Jan 5 12:00 UTC is 07:00 New York, day 4 of the daily rotation: alice; bob from the primary.
        assert on_call(runtime, datetime(2026, 1, 5, 12, tzinfo=UTC), team=team) == ["bob", "alice"]
        # Day 5 of the secondary is bob's: he is listed once.
        assert on_call(runtime, datetime(2026, 1, 6, 12, tzinfo=UTC), team=team) == ["bob"]
        with pytest.raises(ValidationFailed, match="schedule or for a team"):
            schedules.who_is_on_call(db=db, at=MONDAY_9_BERLIN)
        with pytest.raises(ValidationFailed, match="not both"):
            schedules.who_is_on_call(db=db, at=MONDAY_9_BERLIN, team=team, schedule=other)
        assert [s.slug for s in schedules.list_schedules(db=db)] == [
            "platform-primary", "platform-secondary", "support"]


# Validation: a clear error and nothing written --------------------------------------------------------


def test_unknown_time_zone_says_how_to_find_one(runtime, admin):
    with refused(runtime, ValidationFailed, "Unknown time zone 'Europe/Berlinn'", field="time_zone") as db:
        schedules.create_schedule(db=db, actor=admin, slug="x", name="X", time_zone="Europe/Berlinn")
    with runtime.database.writing() as db, pytest.raises(ValidationFailed) as raised:
        schedules.create_schedule(db=db, actor=admin, slug="x", name="X", time_zone="CET Berlin time")
    assert "IANA" in raised.value.message and "available_timezones" in raised.value.message
    with runtime.database.writing() as db, pytest.raises(ValidationFailed, match="Did you mean America/New_York"):
        schedules.create_schedule(db=db, actor=admin, slug="x", name="X", time_zone="America/NewYork")


def test_time_zone_names_are_matched_in_any_case(runtime, admin):
    with runtime.database.writing() as db:
        schedule = schedules.create_schedule(db=db, actor=admin, slug="lhi", name="Lord Howe",
                                             time_zone="australia/lord_howe")
        assert schedule.time_zone == "Australia/Lord_Howe"


@pytest.mark.parametrize("slug", ["Has Space", "-leading", "", "12345", "x" * 101, "under_score"])
def test_slug_rules(runtime, admin, slug):
    with refused(runtime, ValidationFailed, "slug is 1-100 lowercase", field="slug") as db:
        schedules.create_schedule(db=db, actor=admin, slug=slug, name="X", time_zone="UTC")


def test_duplicate_slug_and_blank_name_refused(runtime, admin, platform):
    with refused(runtime, Conflict, "already exists", field="slug") as db:
        schedules.create_schedule(db=db, actor=admin, slug="platform-primary", name="X", time_zone="UTC")
    with refused(runtime, ValidationFailed, "needs a name", field="name") as db:
        schedules.create_schedule(db=db, actor=admin, slug="other", name="  ", time_zone="UTC")


@pytest.mark.parametrize("handoff", ["2026-01-05 09:00", "2026-13-01T09:00", "2026-01-05T24:00", "tomorrow",
                                     "2026-01-05T09:00:00", "2026-01-05T09:00+01:00", ""])
def test_bad_handoff_refused(runtime, admin, platform, handoff):
    with refused(runtime, ValidationFailed, "YYYY-MM-DDTHH:MM", field="handoff_local") as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="daily", handoff_local=handoff,
                            participants=["bob"])


@pytest.mark.parametrize(("participants", "message"), [
    (["bob", "@nobody"], "No user '@nobody'"),
    ([9999], "No user #9999"),
    (["ghost@example.com"], "No user"),
])
def test_unknown_participant_refused(runtime, admin, platform, participants, message):
    with refused(runtime, ValidationFailed, message, field="participants") as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=participants)


@pytest.mark.parametrize(("restrictions", "message"), [
    ([{"days": [0], "start": "09:00"}], "exactly days, start and end"),
    ([{"days": [], "start": "09:00", "end": "17:00"}], "non-empty list of weekdays"),
    ([{"days": [7], "start": "09:00", "end": "17:00"}], "weekdays 0-6"),
    ([{"days": [True], "start": "09:00", "end": "17:00"}], "weekdays 0-6"),
    ([{"days": [0], "start": "9am", "end": "17:00"}], "start is a time HH:MM"),
    ([{"days": [0], "start": "09:00", "end": "24:00"}], "end is a time HH:MM"),
    ([{"days": [0], "start": "09:00", "end": "17:00", "extra": 1}], "exactly days, start and end"),
    (["weekdays"], "exactly days, start and end"),
])
def test_bad_restrictions_refused(runtime, admin, platform, restrictions, message):
    with refused(runtime, ValidationFailed, message, field="restrictions") as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=["bob"], restrictions=restrictions)


@pytest.mark.parametrize(("rotation", "length", "message"), [
    ("custom", None, "1 to 8760 hours"), ("custom", 0, "1 to 8760 hours"), ("custom", 8761, "1 to 8760 hours"),
    ("daily", 12, "for custom rotations"), ("fortnightly", None, "not one of daily, weekly, custom"),
])
def test_rotation_and_length_checked(runtime, admin, platform, rotation, length, message):
    with refused(runtime, ValidationFailed, message) as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation=rotation, length_hours=length,
                            handoff_local="2026-01-05T09:00", participants=["bob"])


def test_layer_dates_checked(runtime, admin, platform):
    with refused(runtime, ValidationFailed, "ends_at comes after its starts_at", field="ends_at") as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=["bob"],
                            starts_at=MONDAY_9_BERLIN, ends_at=MONDAY_9_BERLIN)
    with refused(runtime, ValidationFailed, "time zone offset", field="starts_at") as db:
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=["bob"], starts_at=datetime(2026, 1, 5))


def test_custom_and_restricted_layer_stored_normalised(runtime, admin, platform):
    with runtime.database.writing() as db:
        layer = schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="Custom", length_hours=12,
                                    handoff_local=" 2026-01-05T09:00 ", participants=["bob", "carol@example.com"],
                                    restrictions=[{"days": [4, 0, 4], "start": "09:00", "end": "17:00"}])
    with runtime.database.reading() as db:
        stored_layer = db.get(ScheduleLayer, layer.id)
        assert stored_layer is not None
        assert (stored_layer.rotation, stored_layer.length_hours, stored_layer.handoff_local) == (
            RotationKind.custom, 12, "2026-01-05T09:00")
        assert stored_layer.restrictions == [{"days": [0, 4], "start": "09:00", "end": "17:00"}]
        assert stored_layer.position == 1 and stored_layer.name == "Layer 2"


@pytest.mark.parametrize(("start", "end", "user", "replaces", "message", "field"), [
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN - timedelta(hours=1), "carol", None, "ends after it starts", "end_at"),
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN, "carol", None, "ends after it starts", "end_at"),
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN + timedelta(days=91), "carol", None, "at most 90 days", "end_at"),
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK, "@nobody", None, "No user '@nobody'", "user"),
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK, "carol", "nobody", "No user 'nobody'", "replaces"),
    (MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK, "carol", "carol", "cannot override themselves", "replaces"),
    (datetime(2026, 1, 5), datetime(2026, 1, 6), "carol", None, "time zone offset", "start_at"),
])
def test_bad_override_refused(runtime, factory, people, platform, start, end, user, replaces, message, field):
    with refused(runtime, ValidationFailed, message, field=field) as db:
        schedules.add_override(db=db, actor=factory.actor(people["bob"]), schedule=platform, user=user,
                               replaces=replaces, start_at=start, end_at=end)


# Permissions ------------------------------------------------------------------------------------------


def test_responders_add_overrides_admins_edit_schedules(runtime, factory, people, platform):
    bob, vic = factory.actor(people["bob"]), factory.actor(people["vic"])
    with refused(runtime, PermissionDenied, "needs admin") as db:
        schedules.create_schedule(db=db, actor=bob, slug="mine", name="Mine", time_zone="UTC")
    with refused(runtime, PermissionDenied, "needs admin") as db:
        schedules.add_layer(db=db, actor=bob, schedule=platform, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=["bob"])
    with refused(runtime, PermissionDenied, "needs responder") as db:
        schedules.add_override(db=db, actor=vic, schedule=platform, user="vic", start_at=MONDAY_9_BERLIN,
                               end_at=MONDAY_9_BERLIN + WEEK)
    with runtime.database.writing() as db:
        override = schedules.add_override(db=db, actor=bob, schedule=platform, user="carol", replaces="bob",
                                          start_at=MONDAY_9_BERLIN, end_at=MONDAY_9_BERLIN + timedelta(days=1))
        assert override.created_by_id == people["bob"].id
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=platform) == ["carol"]
    with runtime.database.writing() as db:
        schedules.remove_override(db=db, actor=bob, override=schedules.get_override(db=db, override_id=override.id))
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=platform) == ["bob"]
    assert actions(runtime)[-2:] == ["schedule.override.add", "schedule.override.remove"]


# Edits ------------------------------------------------------------------------------------------------


def test_update_layer_checks_everything_before_writing(runtime, admin, platform):
    with runtime.database.reading() as db:
        layer_id = schedules.list_layers(db=db, schedule=platform)[0].id
    with refused(runtime, ValidationFailed, "No user 'nobody'") as db:
        layer = schedules.get_layer(db=db, layer_id=layer_id)
        schedules.update_layer(db=db, actor=admin, layer=layer, name="Renamed", participants=["carol", "nobody"])
    with refused(runtime, ValidationFailed, "1 to 8760 hours") as db:
        layer = schedules.get_layer(db=db, layer_id=layer_id)
        schedules.update_layer(db=db, actor=admin, layer=layer, rotation="custom")
    with runtime.database.writing() as db:
        layer = schedules.get_layer(db=db, layer_id=layer_id)
        schedules.update_layer(db=db, actor=admin, layer=layer, participants=["carol"],
                               ends_at=MONDAY_9_BERLIN + WEEK)
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=platform) == ["carol"]
    assert on_call(runtime, MONDAY_9_BERLIN + WEEK, schedule=platform) == []
    with runtime.database.writing() as db:
        layer = schedules.get_layer(db=db, layer_id=layer_id)
        schedules.update_layer(db=db, actor=admin, layer=layer, ends_at=None)
        assert layer.rotation is RotationKind.weekly and layer.participants == [layer.participants[0]]
    assert on_call(runtime, MONDAY_9_BERLIN + WEEK, schedule=platform) == ["carol"]
    with runtime.database.reading() as db:
        changes = db.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "schedule.layer.update")
                             .order_by(AuditEntry.id)).all()
    assert [set(c["changed"]) for c in changes] == [{"participants", "ends_at"}, {"ends_at"}]


def test_update_schedule_and_remove(runtime, admin, platform):
    with refused(runtime, ValidationFailed, "Unknown time zone") as db:
        schedule = schedules.get_schedule(db=db, ref=platform.id)
        schedules.update_schedule(db=db, actor=admin, schedule=schedule, name="New", time_zone="Mars/Olympus")
    with runtime.database.writing() as db:
        schedule = schedules.get_schedule(db=db, ref=platform.id)
        schedules.update_schedule(db=db, actor=admin, schedule=schedule, time_zone="Asia/Kolkata", team=None)
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref=platform.id)
        assert (schedule.name, schedule.time_zone, schedule.team_id) == ("Platform primary", "Asia/Kolkata", None)
    # Hand-offs are wall-clock times, so they follow the zone: 09:00 Kolkata is 03:30 UTC.
    assert on_call(runtime, datetime(2026, 1, 5, 3, 30, tzinfo=UTC), schedule=schedule) == ["bob"]
    assert on_call(runtime, datetime(2026, 1, 5, 3, 29, tzinfo=UTC), schedule=schedule) == []
    with runtime.database.writing() as db:
        layer = schedules.list_layers(db=db, schedule=schedule)[0]
        schedules.remove_layer(db=db, actor=admin, layer=layer)
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=schedule) == []
    with runtime.database.writing() as db:
        schedules.remove_schedule(db=db, actor=admin, schedule=schedules.get_schedule(db=db, ref=platform.id))
    with runtime.database.reading() as db:
        assert schedules.list_schedules(db=db) == []
    assert actions(runtime)[-3:] == ["schedule.update", "schedule.layer.remove", "schedule.remove"]


# Reading: specs, timelines ----------------------------------------------------------------------------


def test_spec_of_takes_two_queries_and_only_overrides_meeting_the_window(runtime, factory, people, platform):
    bob = factory.actor(people["bob"])
    with runtime.database.writing() as db:
        for day in (1, 10, 20):
            start = MONDAY_9_BERLIN + timedelta(days=day)
            schedules.add_override(db=db, actor=bob, schedule=platform, user="carol", start_at=start,
                                   end_at=start + timedelta(hours=4))
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = runtime.database.engine
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref=platform.id)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            spec = schedules.spec_of(db=db, schedule=schedule, start=MONDAY_9_BERLIN + timedelta(days=9),
                                     end=MONDAY_9_BERLIN + timedelta(days=15))
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2
    assert len(spec.layers) == 1 and spec.time_zone == "Europe/Berlin"
    assert [o.start for o in spec.overrides] == [MONDAY_9_BERLIN + timedelta(days=10)]


def test_timeline_of_the_coming_weeks_carries_handles(runtime, factory, people, platform):
    with runtime.database.writing() as db:
        schedules.add_override(db=db, actor=factory.actor(people["dan"]), schedule=platform, user="carol",
                               replaces="dan", start_at=MONDAY_9_BERLIN + WEEK + timedelta(days=2),
                               end_at=MONDAY_9_BERLIN + WEEK + timedelta(days=3))
    with runtime.database.reading() as db:
        found = schedules.timeline(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=21)
        rows = schedules.timeline_by_layer(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=21)
        with pytest.raises(ValidationFailed, match="1 to 366 days"):
            schedules.timeline(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=0)
    day = timedelta(days=1)
    assert [(s.handle, s.start, s.end) for s in found] == [
        ("bob", MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK),
        ("dan", MONDAY_9_BERLIN + WEEK, MONDAY_9_BERLIN + WEEK + 2 * day),
        ("carol", MONDAY_9_BERLIN + WEEK + 2 * day, MONDAY_9_BERLIN + WEEK + 3 * day),
        ("dan", MONDAY_9_BERLIN + WEEK + 3 * day, MONDAY_9_BERLIN + 2 * WEEK),
        ("bob", MONDAY_9_BERLIN + 2 * WEEK, MONDAY_9_BERLIN + 3 * WEEK)]
    assert {s.schedule_name for s in found} == {"Platform primary"}
    assert [[s.handle for s in shifts] for _, shifts in rows] == [["bob", "dan", "bob"]]


def test_spec_of_feeds_the_pure_math(runtime, platform, people):
    with runtime.database.reading() as db:
        spec = schedules.spec_of(db=db, schedule=platform)
    assert final_shifts(spec, MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK) == [
        Shift(people["bob"].id, MONDAY_9_BERLIN, MONDAY_9_BERLIN + WEEK)]


def test_deactivated_people_are_not_on_call_but_stay_on_the_timeline(runtime, people, platform):
    with runtime.database.writing() as db:
        bob = db.get(User, people["bob"].id)
        assert bob is not None
        bob.is_active = False
    assert on_call(runtime, MONDAY_9_BERLIN, schedule=platform) == []
    with runtime.database.reading() as db:
        found = schedules.timeline(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=7)
    assert [s.handle for s in found] == ["bob"]
