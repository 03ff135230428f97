"""Escalation policies: ordered steps, each with targets and a delay, repeated N times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = int_pk()
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    # How many more times the whole policy runs after its last step when nobody acknowledges.
    repeat: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]


class EscalationStep(Base):
    __tablename__ = "escalation_steps"
    __table_args__ = (sa.UniqueConstraint("policy_id", "position", name="uq_escalation_steps_policy_position"),)

    id: Mapped[int] = int_pk()
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("escalation_policies.id", ondelete="CASCADE"))
    position: Mapped[int]
    # Minutes to wait after this step's pages before the next step.
    delay_minutes: Mapped[int] = mapped_column(default=5)
    # [{"type": "user"|"schedule"|"team", "id": 3}]
    targets: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
