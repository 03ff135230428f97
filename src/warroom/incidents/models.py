"""The incident: what happened, how bad, where it stands."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Severity(enum.StrEnum):
    """The handbook's two levels; both are severity 1 under the contractual SLAs."""

    critical = "critical"
    major = "major"


SEVERITY_MEANING = {
    Severity.critical: "Very high impact to customers; immediate response required "
    "(e.g. a full outage or a data breach).",
    Severity.major: "Significant impact; immediate response usually required; workarounds may exist "
    "(e.g. an important sub-system failing).",
}


class Status(enum.StrEnum):
    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"
    closed = "closed"

    @property
    def is_active(self) -> bool:
        return self in (Status.investigating, Status.identified, Status.monitoring)


class Resolution(enum.StrEnum):
    fixed = "fixed"
    false_positive = "false_positive"


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = int_pk()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    severity: Mapped[Severity] = mapped_column(index=True)
    status: Mapped[Status] = mapped_column(index=True, default=Status.investigating)
    customer_impact: Mapped[bool] = mapped_column(default=False)
    security: Mapped[bool] = mapped_column(default=False)
    suspected: Mapped[bool] = mapped_column(default=False)
    affected_services: Mapped[list[str]] = mapped_column(default=list)
    external_reporter: Mapped[str] = mapped_column(sa.String(254), default="")
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[Resolution | None]
    declared_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    close_override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime]
    last_status_update_at: Mapped[datetime | None]
    # The last "no status update for a while" nudge posted in the room.
    last_reminder_at: Mapped[datetime | None]

    @property
    def ref(self) -> str:
        return self.ref_of(self.id)

    @staticmethod
    def ref_of(incident_id: int) -> str:
        """How people name incident ``incident_id`` (INC-7)."""
        return f"INC-{incident_id}"

    @property
    def is_false_positive(self) -> bool:
        return self.resolution is Resolution.false_positive

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class IncidentParticipant(Base):
    """Someone added to an incident by name: invited by a participant, or the security team when flagged.

    Reporters, role holders, room authors and people paged into the incident take part without a row here.
    """

    __tablename__ = "incident_participants"

    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    # "invited" or "security team"
    reason: Mapped[str] = mapped_column(sa.String(32))
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    added_at: Mapped[datetime]
