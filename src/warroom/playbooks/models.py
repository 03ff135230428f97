"""Markdown playbooks for common scenarios, suggested by service and keyword."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Playbook(Base):
    __tablename__ = "playbooks"

    id: Mapped[int] = int_pk()
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_md: Mapped[str] = mapped_column(sa.Text)
    services: Mapped[list[str]] = mapped_column(default=list)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IncidentPlaybook(Base):
    __tablename__ = "incident_playbooks"

    incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    playbook_id: Mapped[int] = mapped_column(
        sa.ForeignKey("playbooks.id", ondelete="CASCADE"), primary_key=True
    )
    attached_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    attached_at: Mapped[datetime]
