"""A report of a possible incident from someone outside: through the public form or by mail."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ReportStatus(enum.StrEnum):
    new = "new"
    acknowledged = "acknowledged"  # the reporter has been told it is being handled
    declared = "declared"  # an incident was started from it
    dismissed = "dismissed"  # not an incident; the reason is kept and the report counted

    @property
    def is_open(self) -> bool:
        return self in (ReportStatus.new, ReportStatus.acknowledged)


class ReportSource(enum.StrEnum):
    form = "form"
    email = "email"


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = int_pk()
    status: Mapped[ReportStatus] = mapped_column(index=True, default=ReportStatus.new)
    source: Mapped[ReportSource]
    reporter_name: Mapped[str] = mapped_column(sa.String(200), default="")
    reporter_email: Mapped[str] = mapped_column(sa.String(254))
    summary: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    affected_service: Mapped[str] = mapped_column(sa.String(100), default="")
    # The Message-ID of an inbound mail, so a mail server's retry does not make a second report.
    message_id: Mapped[str | None] = mapped_column(sa.String(500), unique=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # When the acknowledgement mail actually left (the engine records it after the send).
    acknowledgement_sent_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    dismiss_reason: Mapped[str] = mapped_column(sa.Text, default="")
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime]

    @property
    def ref(self) -> str:
        return f"R-{self.id}"
