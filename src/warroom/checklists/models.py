"""The handbook's steps as checklist items on each incident."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Phase(enum.StrEnum):
    first_response = "first_response"
    post_resolution = "post_resolution"
    playbook = "playbook"


class ItemState(enum.StrEnum):
    open = "open"
    done = "done"
    skipped = "skipped"  # not applicable here, with a note saying why


class ChecklistItem(Base):
    __tablename__ = "checklist_items"
    __table_args__ = (sa.UniqueConstraint("incident_id", "key", name="uq_checklist_items_incident_key"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(100))
    label: Mapped[str] = mapped_column(sa.String(300))
    phase: Mapped[Phase]
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[ItemState] = mapped_column(default=ItemState.open)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]
    playbook_id: Mapped[int | None] = mapped_column(sa.ForeignKey("playbooks.id", ondelete="SET NULL"))

    @property
    def is_settled(self) -> bool:
        return self.state is not ItemState.open
