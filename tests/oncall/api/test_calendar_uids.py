"""A subscribed calendar keeps its events: the shift in progress has the same UID (and its own start) however often
the feed is read and whatever is recomputed later in the week, parsed with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar


def _in_progress(body: bytes, now: datetime) -> icalendar.Event:
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    [event] = [e for e in events if e.decoded("dtstart") <= now < e.decoded("dtend")]
    return event


def test_the_shift_in_progress_keeps_its_uid_and_start(org, on_call, clock):
    clock.advance(timedelta(days=1, hours=3))  # Tuesday: bob's week began on Monday 09:00 Berlin
    first = _in_progress(org.as_vic.get("/schedules/eng-primary/calendar.ics?days=14").content, clock.now())
    assert first.decoded("dtstart") == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    clock.advance(timedelta(hours=5))
    org.as_bob.ok("post", "/schedules/eng-primary/overrides", {
        "user": "@dan", "start_at": "2026-03-05T08:00:00Z", "end_at": "2026-03-05T20:00:00Z"}, status=201)
    again = _in_progress(org.as_vic.get("/schedules/eng-primary/calendar.ics?days=14").content, clock.now())
    assert str(again["uid"]) == str(first["uid"])
    assert again.decoded("dtstart") == first.decoded("dtstart")
    assert again.decoded("dtend") == datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # until dan covers Thursday

    mine = _in_progress(org.as_bob.get("/users/bob/on-call.ics?days=14").content, clock.now())
    assert str(mine["uid"]) == str(first["uid"])
