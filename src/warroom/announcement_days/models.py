"""Big announcement days (funding, launch, campaign …) and the incidents that fell on them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class DayKind(enum.StrEnum):
    funding = "funding"
    launch = "launch"
    campaign = "campaign"
    other = "other"


class AnnouncementDay(Base):
    """A whole day (midnight to midnight in its time zone) or a time range, led by someone in marketing."""

    __tablename__ = "announcement_days"
    __table_args__ = (sa.Index("ix_announcement_days_starts_at_ends_at", "starts_at", "ends_at"),)

    id: Mapped[int] = int_pk()
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[DayKind]
    time_zone: Mapped[str] = mapped_column(sa.String(64))  # IANA name, e.g. Europe/Berlin
    all_day: Mapped[bool] = mapped_column(default=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Remind quiet incident rooms this often (minutes) while the day is on, instead of the configured cadence.
    reminder_minutes: Mapped[int | None]
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AnnouncementDayIncident(Base):
    """An incident declared on, or open during, an announcement day: its owner and support were notified once."""

    __tablename__ = "announcement_day_incidents"

    day_id: Mapped[int] = mapped_column(sa.ForeignKey("announcement_days.id", ondelete="CASCADE"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    # "declared" (declared during the day) or "open" (already open when the day began)
    how: Mapped[str] = mapped_column(sa.String(16))
    notified_at: Mapped[datetime]
