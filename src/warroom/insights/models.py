"""How long each incident spent in each status: one row per stretch of time in one status."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk
from warroom.incidents.models import Status


class StatusPeriod(Base):
    """A stretch an incident spent in one status; ``ended_at`` is empty while it is still in it.

    Written with every status change, in the same transaction; ``seconds`` is filled in when the stretch ends,
    so the insights add them up without date arithmetic in SQL.
    """

    __tablename__ = "incident_status_periods"
    __table_args__ = (sa.Index("ix_incident_status_periods_incident_id_ended_at", "incident_id", "ended_at"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    status: Mapped[Status]
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    seconds: Mapped[int | None]
