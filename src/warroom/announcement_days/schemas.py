"""Announcement days on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.announcement_days.service import DayRow, DaySpec
from warroom.core.bounds import StrictInt


class DayIn(BaseModel):
    """A whole day (``date``) or a range (``starts`` and ``ends``), as wall-clock times in ``time_zone``."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(examples=["Series B announcement"])
    kind: str = Field(description="funding, launch, campaign or other.", examples=["funding"])
    time_zone: str = Field(description="IANA time zone the date or times are in.", examples=["Europe/Berlin"])
    owner: str = Field(description="The marketing owner leading the announcement: @handle or email.",
                       examples=["@erin"])
    date: str = Field("", description="The whole day, YYYY-MM-DD.", examples=["2026-03-10"])
    starts: str = Field("", description="Start, YYYY-MM-DDTHH:MM in the time zone (instead of a date).")
    ends: str = Field("", description="End, YYYY-MM-DDTHH:MM in the time zone.")
    reminder_minutes: StrictInt | None = Field(None, description="While the day is on, remind quiet incident rooms "
                                                           "this often (never later than the usual cadence).")
    notes: str = ""

    def spec(self) -> DaySpec:
        return DaySpec(title=self.title, kind=self.kind, time_zone=self.time_zone, owner=self.owner, date=self.date,
                       starts=self.starts, ends=self.ends, reminder_minutes=self.reminder_minutes, notes=self.notes)


class DayOut(BaseModel):
    id: int
    title: str
    kind: str
    time_zone: str
    all_day: bool
    starts_at: datetime
    ends_at: datetime
    when: str = Field(description="The range in the day's own time zone, for people.")
    state: str = Field(description="upcoming, on now or past.")
    owner: str | None
    reminder_minutes: int | None
    notes: str

    @classmethod
    def of(cls, row: DayRow) -> DayOut:
        day = row.day
        return cls(id=day.id, title=day.title, kind=day.kind.value, time_zone=day.time_zone, all_day=day.all_day,
                   starts_at=day.starts_at, ends_at=day.ends_at, when=row.when, state=row.state,
                   owner=row.owner_handle, reminder_minutes=day.reminder_minutes, notes=day.notes)


class DayPage(BaseModel):
    items: list[DayOut]
    total: int
