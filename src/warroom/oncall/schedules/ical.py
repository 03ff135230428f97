"""On-call shifts as iCalendar (.ics), per schedule and per person, for any calendar app to subscribe to.

Each shift is one VEVENT in UTC. Its UID is made of the schedule, the person and the start, so a
calendar that re-fetches the feed updates the same events instead of adding copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import icalendar
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.clock import as_utc
from warroom.oncall.schedules import service
from warroom.oncall.schedules.models import Schedule
from warroom.oncall.schedules.service import TimelineShift

PRODID = "-//Warroom//On-call schedules//EN"
UID_DOMAIN = "oncall.warroom"


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


def schedule_calendar(*, db: Session, schedule: Schedule, start: datetime, days: int, now: datetime) -> bytes:
    """Everyone's shifts on one schedule over ``days`` from ``start``."""
    found = service.timeline(db=db, schedule=schedule, start=start, days=days)
    return shifts_calendar(title=f"On call: {schedule.name}", shifts=found, now=now)


def user_calendar(*, db: Session, user: User, start: datetime, days: int, now: datetime) -> bytes:
    """One person's shifts on every schedule over ``days`` from ``start``."""
    found = service.shifts_of_user(db=db, user=user, start=start, days=days)
    return shifts_calendar(title=f"On call: @{user.handle}", shifts=found, now=now)
