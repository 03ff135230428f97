"""Integration keys: ingest-only credentials per team or service for monitoring tools."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class KeyKind(enum.StrEnum):
    pagerduty = "pagerduty"  # routing_key in the Events API v2 body
    opsgenie = "opsgenie"  # Authorization: GenieKey <key>
    alertmanager = "alertmanager"  # Authorization: Bearer <key>
    heartbeat = "heartbeat"


class IntegrationKey(Base):
    __tablename__ = "integration_keys"

    id: Mapped[int] = int_pk()
    kind: Mapped[KeyKind]
    name: Mapped[str] = mapped_column(sa.String(200))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    escalation_policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("escalation_policies.id", ondelete="SET NULL"))
    # Alertmanager: dedup per group (default) or per alert fingerprint.
    dedup_per_alert: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
