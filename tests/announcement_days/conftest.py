"""Announcement-day helpers: marketing and support people, a day on the calendar, the engine, a real SMTP inbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, User
from warroom.announcement_days import service as days
from warroom.announcement_days.models import AnnouncementDay
from warroom.core.actor import Actor
from warroom.notifications.models import Notification
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..api.conftest import stored
from ..support import inbox_fixture, people
from ..web.conftest import WebUser, browser  # noqa: F401  (fixtures, registered by importing them)


@pytest.fixture
def team(factory: Any) -> dict[str, User]:
    return people(factory, {"alice": AccessRole.admin, "bob": "engineering", "carol": "customer-support",
                            "cody": "customer-support", "erin": "marketing", "vic": (AccessRole.viewer, "marketing")})


inbox = inbox_fixture()


def add_day(runtime: Runtime, starts: datetime, ends: datetime, *, owner: str = "@erin", title: str = "Series B",
            reminder_minutes: int | None = None, kind: str = "funding") -> AnnouncementDay:
    spec = days.DaySpec(title=title, kind=kind, time_zone="UTC", owner=owner,
                        starts=starts.strftime("%Y-%m-%dT%H:%M"), ends=ends.strftime("%Y-%m-%dT%H:%M"),
                        reminder_minutes=reminder_minutes)
    with runtime.database.writing() as db:
        return days.create_day(db=db, actor=Actor.system(runtime.clock), spec=spec)


def day_on_now(runtime: Runtime, **kwargs: Any) -> AnnouncementDay:
    now = runtime.clock.now()
    return add_day(runtime, now - timedelta(hours=1), now + timedelta(hours=8), **kwargs)


def notifications(runtime: Runtime) -> list[tuple[str, str, str]]:
    """(person, channel, subject) of every incident notification, in order."""
    with runtime.database.reading() as db:
        rows = db.execute(sa.select(User.handle, Notification.kind, Notification.subject)
                          .join(User, User.id == Notification.user_id).order_by(Notification.id))
        return [(handle, kind.value, subject) for handle, kind, subject in rows]


def room_bodies(runtime: Runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return [e.body for e in db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                                           .order_by(TimelineEntry.id))]


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    return stored(runtime)
