"""A retrospective of one incident, and the people invited to it."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class RetrospectiveStatus(enum.StrEnum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class Retrospective(Base):
    """One per incident; rescheduling changes it in place and raises its sequence (the invite's SEQUENCE)."""

    __tablename__ = "retrospectives"

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    organiser_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    location: Mapped[str] = mapped_column(sa.String(500), default="")
    agenda: Mapped[str] = mapped_column(sa.Text, default="")
    uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    status: Mapped[RetrospectiveStatus] = mapped_column(default=RetrospectiveStatus.scheduled)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RetrospectiveAttendee(Base):
    """Someone invited: a Warroom user, or an extra address; what was last sent to them."""

    __tablename__ = "retrospective_attendees"
    __table_args__ = (sa.UniqueConstraint("retrospective_id", "email"),)

    id: Mapped[int] = int_pk()
    retrospective_id: Mapped[int] = mapped_column(sa.ForeignKey("retrospectives.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(sa.String(254))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    removed: Mapped[bool] = mapped_column(default=False)  # uninvited: sent a CANCEL, kept for the record
    sent_sequence: Mapped[int | None]
    sent_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")  # the last send's error, or that it went to the log
