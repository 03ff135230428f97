"""On-call schedules on the wire: schedules, their layers (rotations) and overrides, shifts, who is on call.

Change bodies (``…ChangeIn``) leave out what stays as it is; ``changes()`` gives the fields that were sent,
ready to pass to ``service.update_schedule`` / ``service.update_layer`` as keyword arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from warroom.accounts.models import User
from warroom.core.bounds import Int, Ref
from warroom.oncall.schedules.models import RotationKind, Schedule, ScheduleLayer, ScheduleOverride
from warroom.oncall.schedules.service import TimelineShift


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Fields that null clears; null anywhere else means "keep", like leaving the field out.
    CLEARABLE: ClassVar[frozenset[str]] = frozenset()

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent, ready for the service's update_* keyword arguments."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {name: _plain(value) for name, value in sent.items() if value is not None or name in self.CLEARABLE}


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value


class RestrictionIn(Input):
    days: list[Int] = Field(description="Weekdays the window starts on, Monday=0 … Sunday=6.",
                            examples=[[0, 1, 2, 3, 4]])
    start: str = Field(description="Local time HH:MM.", examples=["09:00"])
    end: str = Field(description="Local time HH:MM; at or before start runs past midnight.", examples=["17:00"])


class ScheduleIn(Input):
    slug: str = Field(examples=["platform-primary"])
    name: str = Field(examples=["Platform primary"])
    time_zone: str = Field(description="IANA tz database name.", examples=["Europe/Berlin"])
    team: str | None = Field(None, description="Slug of the team this schedule is for.", examples=["engineering"])
    description: str = ""


class ScheduleChangeIn(Input):
    CLEARABLE = frozenset({"team"})

    name: str | None = None
    time_zone: str | None = Field(None, description="Moves every hand-off: they are wall-clock times in the zone.")
    team: str | None = Field(None, description="Team slug; null to detach the schedule from its team.")
    description: str | None = None


class LayerIn(Input):
    name: str = ""
    rotation: RotationKind = Field(description="daily and weekly hand off at the same local time; custom every "
                                               "length_hours of elapsed time.")
    handoff_local: str = Field(description="The first hand-off, wall-clock time in the schedule's zone.",
                               examples=["2026-01-05T09:00"])
    participants: list[Ref | str] = Field(description="People taking turns, in order: @handle, email or user id.",
                                          examples=[["@alice", "@bob"]])
    length_hours: Int | None = Field(None, description="Custom rotations only: 1-8760.")
    restrictions: list[RestrictionIn] = Field(default_factory=list,
                                              description="On call only inside these windows.")
    position: Int | None = Field(None, description="Higher layers win where they have someone; default on top.")
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class LayerChangeIn(Input):
    CLEARABLE = frozenset({"length_hours", "starts_at", "ends_at"})

    name: str | None = None
    rotation: RotationKind | None = None
    handoff_local: str | None = None
    participants: list[Ref | str] | None = None
    length_hours: Int | None = None
    restrictions: list[RestrictionIn] | None = None
    position: Int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class OverrideIn(Input):
    user: Ref | str = Field(description="Who covers: @handle, email or user id.", examples=["@carol"])
    start_at: datetime
    end_at: datetime = Field(description="After start_at, at most 90 days later.")
    replaces: Ref | str | None = Field(None, description="Whom they cover for; leave out to cover whoever is on "
                                                         "call (gaps included).")


class RestrictionOut(BaseModel):
    days: list[int]
    start: str
    end: str


class LayerOut(BaseModel):
    id: int
    name: str
    position: int
    rotation: RotationKind
    length_hours: int
    handoff_local: str
    participants: list[str] = Field(description="Handles, in turn order.")
    participant_ids: list[int]
    restrictions: list[RestrictionOut]
    starts_at: datetime | None
    ends_at: datetime | None

    @classmethod
    def of(cls, layer: ScheduleLayer, handles: Mapping[int, str]) -> LayerOut:
        return cls(id=layer.id, name=layer.name, position=layer.position, rotation=layer.rotation,
                   length_hours=layer.length_hours, handoff_local=layer.handoff_local,
                   participants=[handles.get(i, f"user-{i}") for i in layer.participants],
                   participant_ids=list(layer.participants),
                   restrictions=[RestrictionOut(**r) for r in layer.restrictions],
                   starts_at=layer.starts_at, ends_at=layer.ends_at)


class OverrideOut(BaseModel):
    id: int
    user: str
    replaces: str | None
    start_at: datetime
    end_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, override: ScheduleOverride, handles: Mapping[int, str]) -> OverrideOut:
        replaced = override.replaces_user_id
        return cls(id=override.id, user=handles.get(override.user_id, f"user-{override.user_id}"),
                   replaces=None if replaced is None else handles.get(replaced, f"user-{replaced}"),
                   start_at=override.start_at, end_at=override.end_at, created_at=override.created_at)


class ScheduleOut(BaseModel):
    id: int
    slug: str
    name: str
    time_zone: str
    team: str | None = Field(description="Team slug.")
    description: str

    @classmethod
    def of(cls, schedule: Schedule, team_slug: str | None) -> ScheduleOut:
        return cls(id=schedule.id, slug=schedule.slug, name=schedule.name, time_zone=schedule.time_zone,
                   team=team_slug, description=schedule.description)


class ScheduleDetailOut(ScheduleOut):
    layers: list[LayerOut]
    overrides: list[OverrideOut] = Field(description="Overrides that have not ended yet, oldest first.")


class SchedulePage(BaseModel):
    items: list[ScheduleOut]
    total: int
    limit: int
    offset: int


class ShiftOut(BaseModel):
    user: str = Field(description="Handle.")
    user_id: int
    start: datetime
    end: datetime

    @classmethod
    def of(cls, shift: TimelineShift) -> ShiftOut:
        return cls(user=shift.handle, user_id=shift.user_id, start=shift.start, end=shift.end)


class LayerRowOut(BaseModel):
    layer_id: int
    name: str
    shifts: list[ShiftOut]


class TimelineOut(BaseModel):
    schedule: str = Field(description="Slug.")
    time_zone: str
    start: datetime
    end: datetime
    shifts: list[ShiftOut] = Field(description="Final: layers merged and overrides applied.")
    layers: list[LayerRowOut] = Field(default_factory=list, description="Each layer's own rotation.")


class OnCallPersonOut(BaseModel):
    id: int
    handle: str
    name: str
    email: str

    @classmethod
    def of(cls, user: User) -> OnCallPersonOut:
        return cls(id=user.id, handle=user.handle, name=user.name, email=user.email)


class OnCallOut(BaseModel):
    at: datetime
    schedule: str | None = Field(None, description="Slug, when asked for a schedule.")
    team: str | None = Field(None, description="Slug, when asked for a team.")
    on_call: list[OnCallPersonOut] = Field(description="Empty when nobody is on call (a gap in the schedule).")

    @classmethod
    def of(cls, at: datetime, users: Sequence[User], schedule: str | None = None,
           team: str | None = None) -> OnCallOut:
        return cls(at=at, schedule=schedule, team=team, on_call=[OnCallPersonOut.of(u) for u in users])
