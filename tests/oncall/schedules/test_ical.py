"""iCalendar export: parsed back with the icalendar package and checked against the timeline."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from warroom.accounts import service as accounts
from warroom.oncall.schedules import ical
from warroom.oncall.schedules import service as schedules

MONDAY_9_BERLIN = datetime(2026, 1, 5, 8, tzinfo=UTC)
NOW = datetime(2026, 1, 4, 12, tzinfo=UTC)


@pytest.fixture
def two_schedules(runtime, admin, people):
    """Platform (Berlin, weekly bob → dan) and Support (New York, daily carol → bob)."""
    with runtime.database.writing() as db:
        platform = schedules.create_schedule(db=db, actor=admin, slug="platform", name="Platform primary",
                                             time_zone="Europe/Berlin",
                                             team=accounts.find_team(db=db, name="engineering"))
        schedules.add_layer(db=db, actor=admin, schedule=platform, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["bob", "dan"])
        support = schedules.create_schedule(db=db, actor=admin, slug="support", name="Support",
                                            time_zone="America/New_York")
        schedules.add_layer(db=db, actor=admin, schedule=support, rotation="daily",
                            handoff_local="2026-01-05T09:00", participants=["carol", "bob"])
        return platform, support


def events(body: bytes) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(body)
    return calendar, list(calendar.walk("VEVENT"))


def test_schedule_calendar_has_one_event_per_shift(runtime, two_schedules):
    platform, _ = two_schedules
    with runtime.database.reading() as db:
        body = ical.schedule_calendar(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=28, now=NOW)
        found = schedules.timeline(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=28)
    calendar, parsed = events(body)

    assert calendar.name == "VCALENDAR" and str(calendar["PRODID"]) == ical.PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert len(parsed) == len(found) == 4
    for event, shift in zip(parsed, found, strict=True):
        assert event["DTSTART"].dt == shift.start and event["DTSTART"].dt.utcoffset() == timedelta(0)
        assert event["DTEND"].dt == shift.end
        assert str(event["SUMMARY"]) == "On call: Platform primary"
        assert f"@{shift.handle}" in str(event["DESCRIPTION"])
        assert event["DTSTAMP"].dt == NOW
    assert [e["DTSTART"].dt for e in parsed] == [MONDAY_9_BERLIN + n * timedelta(days=7) for n in range(4)]
    assert b"DTSTART:20260105T080000Z" in body  # UTC form, no TZID needed


def test_uids_are_unique_and_stable_between_exports(runtime, people, two_schedules):
    platform, _ = two_schedules
    with runtime.database.reading() as db:
        first = ical.schedule_calendar(db=db, schedule=platform, start=MONDAY_9_BERLIN, days=28, now=NOW)
        later = ical.schedule_calendar(db=db, schedule=platform, start=MONDAY_9_BERLIN + timedelta(days=7),
                                       days=28, now=NOW + timedelta(days=7))
    first_uids = [str(e["UID"]) for e in events(first)[1]]
    later_uids = [str(e["UID"]) for e in events(later)[1]]
    assert len(set(first_uids)) == len(first_uids)
    assert first_uids[1:] == later_uids[:3]  # the same shift keeps its UID
    assert first_uids[0] == f"schedule-{platform.id}-user-{people['bob'].id}-20260105T080000Z@oncall.warroom"


def test_user_calendar_holds_only_their_shifts_on_every_schedule(runtime, people, two_schedules):
    with runtime.database.reading() as db:
        body = ical.user_calendar(db=db, user=people["bob"], start=MONDAY_9_BERLIN, days=14, now=NOW)
        expected = schedules.shifts_of_user(db=db, user=people["bob"], start=MONDAY_9_BERLIN, days=14)
    calendar, parsed = events(body)

    assert str(calendar["X-WR-CALNAME"]) == "On call: @bob"
    summaries = [str(e["SUMMARY"]) for e in parsed]
    assert set(summaries) == {"On call: Platform primary", "On call: Support"}
    assert summaries.count("On call: Platform primary") == 1  # bob's week; dan has the next
    assert [(e["DTSTART"].dt, e["DTEND"].dt) for e in parsed] == [(s.start, s.end) for s in expected]
    assert all(f"-user-{people['bob'].id}-" in str(e["UID"]) for e in parsed)
    assert [e["DTSTART"].dt for e in parsed] == sorted(e["DTSTART"].dt for e in parsed)
    # Support hands off at 09:00 New York (14:00 UTC); bob has every second day.
    support = [e for e in parsed if str(e["SUMMARY"]) == "On call: Support"]
    assert {e["DTSTART"].dt.hour for e in support} <= {14} and len(support) == 7


def test_empty_calendar_is_still_a_valid_calendar():
    body = ical.shifts_calendar(title="On call: nobody", shifts=[], now=NOW)
    calendar, parsed = events(body)
    assert parsed == [] and str(calendar["PRODID"]) == ical.PRODID
