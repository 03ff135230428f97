"""The announcements feed: the handbook's #announce-incidents."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Announcement(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    # declared, status_changed, severity_changed, lead_assigned, resolved, closed
    kind: Mapped[str] = mapped_column(sa.String(32))
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
