"""Heartbeats: a monitor pings; when it stops for longer than the interval, an alert opens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Heartbeat(Base):
    __tablename__ = "heartbeats"

    id: Mapped[int] = int_pk()
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    interval_seconds: Mapped[int] = mapped_column(default=600)
    enabled: Mapped[bool] = mapped_column(default=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    alert_message: Mapped[str] = mapped_column(sa.String(130), default="")
    alert_priority: Mapped[str] = mapped_column(sa.String(2), default="P3")
    last_ping_at: Mapped[datetime | None]
    expired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
