"""The incident's memory: every message and change, in order."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class EntryKind(enum.StrEnum):
    declared = "declared"
    message = "message"
    update = "update"  # a structured status update: "we plan to…", "we tried… which resulted in…"
    status_changed = "status_changed"
    severity_changed = "severity_changed"
    summary_changed = "summary_changed"
    role_assigned = "role_assigned"
    role_acknowledged = "role_acknowledged"
    role_warning = "role_warning"
    checklist = "checklist"
    pinned = "pinned"
    playbook_attached = "playbook_attached"
    page = "page"
    resolved = "resolved"
    closed = "closed"
    archived = "archived"
    system = "system"
    details_changed = "details_changed"


class TimelineEntry(Base):
    __tablename__ = "timeline_entries"
    __table_args__ = (sa.Index("ix_timeline_entries_incident_id_id", "incident_id", "id"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A key event: picked for the postmortem's timeline.
    pinned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
