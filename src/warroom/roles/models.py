"""Who holds which incident role: lead, messenger, or a role the team names."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk

LEAD = "lead"
MESSENGER = "messenger"


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (sa.UniqueConstraint("incident_id", "role", name="uq_role_assignments_incident_role"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
