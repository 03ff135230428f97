"""A change a tool reported on a service: not a problem, context for the people answering one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ChangeEvent(Base):
    __tablename__ = "change_events"
    __table_args__ = (
        sa.Index("ix_change_events_service_happened_at", "service", "happened_at"),
        sa.Index("ix_change_events_team_id_happened_at", "team_id", "happened_at"),
    )

    id: Mapped[int] = int_pk()
    # The service the change was made to: the name of the integration key it came with (the key stands for the
    # service, as a PagerDuty integration key does), kept lower-case for matching.
    service: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(1024))
    source: Mapped[str] = mapped_column(sa.String(512), default="")
    # When the tool says the change happened (payload.timestamp), else when Warroom received it.
    happened_at: Mapped[datetime]
    received_at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    links: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    integration_key_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("integration_keys.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
