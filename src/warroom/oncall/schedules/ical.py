"""On-call shifts as iCalendar (.ics), per schedule and per person, for any calendar app to subscribe to.

Each shift is one VEVENT in UTC. Its UID is made of the schedule, the person and the start, so a
calendar that re-fetches the feed updates the same events instead of adding copies. The start is the shift's
own, not where the feed's window cuts it: shifts are computed from an anchor well before the window, fixed for
weeks at a time, so the shift in progress keeps its UID however often the feed is read or the schedule recomputed
(an override later in the shift, a new layer elsewhere, another person added).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import icalendar
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.clock import as_utc
from warroom.oncall.schedules import service
from warroom.oncall.schedules.models import Schedule
from warroom.oncall.schedules.service import TimelineShift

PRODID = "-//Warroom//On-call schedules//EN"
UID_DOMAIN = "oncall.warroom"
LOOKBACK = timedelta(days=56)  # a shift that began this long before the window still shows its own start
ANCHOR_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)
ANCHOR_STEP = timedelta(days=28)  # the anchor moves once every four weeks


def shift_uid(shift: TimelineShift) -> str:
    return f"schedule-{shift.schedule_id}-user-{shift.user_id}-{as_utc(shift.start):%Y%m%dT%H%M%SZ}@{UID_DOMAIN}"


def shift_event(shift: TimelineShift, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", shift_uid(shift))
    event.add("dtstamp", as_utc(stamp))
    event.add("dtstart", as_utc(shift.start))
    event.add("dtend", as_utc(shift.end))
    event.add("summary", f"On call: {shift.schedule_name}")
    event.add("description", f"@{shift.handle} is on call for {shift.schedule_name}.")
    event.add("transp", "TRANSPARENT")  # being on call does not make someone busy
    return event


def shifts_calendar(*, title: str, shifts: Sequence[TimelineShift], now: datetime) -> bytes:
    """A VCALENDAR of ``shifts``; ``now`` stamps the events (DTSTAMP)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    for shift in shifts:
        calendar.add_component(shift_event(shift, now))
    ical: bytes = calendar.to_ical()
    return ical


def anchor(start: datetime) -> datetime:
    """Where the shifts of a feed starting at ``start`` are computed from: at least LOOKBACK earlier, on a
    four-weekly step, so reading the feed again (later the same day, or next week) cuts no shift differently."""
    steps = (as_utc(start) - LOOKBACK - ANCHOR_EPOCH) // ANCHOR_STEP
    return ANCHOR_EPOCH + steps * ANCHOR_STEP


def feed_shifts(compute: Callable[[datetime, int], list[TimelineShift]], start: datetime,
                days: int) -> list[TimelineShift]:
    """The shifts meeting ``days`` from ``start``, each with its own start (computed from the anchor)."""
    begin, end = service.window(start, days)
    from_anchor = anchor(begin)
    total = -(-(end - from_anchor) // timedelta(days=1))
    if total > service.MAX_TIMELINE_DAYS:  # a year ahead already: no room to look back
        return compute(begin, days)
    return [replace(s, end=min(as_utc(s.end), end)) for s in compute(from_anchor, total)
            if as_utc(s.end) > begin and as_utc(s.start) < end]


def schedule_calendar(*, db: Session, schedule: Schedule, start: datetime, days: int, now: datetime) -> bytes:
    """Everyone's shifts on one schedule over ``days`` from ``start``."""
    found = feed_shifts(lambda s, d: service.timeline(db=db, schedule=schedule, start=s, days=d), start, days)
    return shifts_calendar(title=f"On call: {schedule.name}", shifts=found, now=now)


def user_calendar(*, db: Session, user: User, start: datetime, days: int, now: datetime) -> bytes:
    """One person's shifts on every schedule over ``days`` from ``start``."""
    found = feed_shifts(lambda s, d: service.shifts_of_user(db=db, user=user, start=s, days=d), start, days)
    return shifts_calendar(title=f"On call: @{user.handle}", shifts=found, now=now)
