"""On-call schedules: layered rotations in a time zone, with restrictions and overrides."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class RotationKind(enum.StrEnum):
    daily = "daily"
    weekly = "weekly"
    custom = "custom"  # length_hours long


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = int_pk()
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    time_zone: Mapped[str] = mapped_column(sa.String(64))  # IANA name, e.g. Europe/Berlin
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]


class ScheduleLayer(Base):
    """One rotation. Later layers (higher position) take precedence where they have someone on call."""

    __tablename__ = "schedule_layers"

    id: Mapped[int] = int_pk()
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    rotation: Mapped[RotationKind]
    length_hours: Mapped[int] = mapped_column(default=24)  # for custom rotations
    # The first hand-off, as a wall-clock time in the schedule's zone ("2026-01-05T09:00").
    handoff_local: Mapped[str] = mapped_column(sa.String(32))
    # Ordered user ids taking turns.
    participants: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # e.g. [{"days": [0,1,2,3,4], "start": "09:00", "end": "17:00"}] — on call only inside these windows.
    restrictions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]


class ScheduleOverride(Base):
    """Someone covers for a period; the newest override wins where overrides overlap."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (sa.Index("ix_schedule_overrides_schedule_id_end_at", "schedule_id", "end_at"),)

    id: Mapped[int] = int_pk()
    schedule_id: Mapped[int] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # Whom the override replaces; None: whoever is on call in that period.
    replaces_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class CalendarFeed(Base):
    """A person's or a schedule's calendar feed: its secret URL is derived from the server's key and ``nonce``, so
    no secret is stored; a new nonce (the "new URL" button) makes every earlier URL unknown. Without a row the
    nonce is empty, so a feed has a URL before anyone renews it."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (sa.CheckConstraint("(user_id IS NULL) <> (schedule_id IS NULL)", name="one_owner"),)

    id: Mapped[int] = int_pk()
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedules.id", ondelete="CASCADE"), unique=True)
    nonce: Mapped[str] = mapped_column(sa.String(64))
    renewed_at: Mapped[datetime]
    renewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
