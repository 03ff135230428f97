"""Alerts: deduplicated on a key while open, acknowledged, closed, escalated."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class AlertStatus(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    closed = "closed"


class Priority(enum.StrEnum):
    """Opsgenie's P1 (critical) … P5 (informational)."""

    p1 = "P1"
    p2 = "P2"
    p3 = "P3"
    p4 = "P4"
    p5 = "P5"


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # Dedup applies to alerts not yet closed: after close, the same key opens a new alert.
        sa.Index("uq_alerts_open_alias", "dedup_scope", "alias", unique=True,
                 sqlite_where=sa.text("status != 'closed'"), postgresql_where=sa.text("status != 'closed'")),
        sa.Index("ix_alerts_status_created_at", "status", "created_at"),
        # The "unrouted" filter: few alerts, found without reading the others.
        sa.Index("ix_alerts_unrouted_id", "id", sqlite_where=sa.text("unrouted"),
                 postgresql_where=sa.text("unrouted")),
    )

    id: Mapped[int] = int_pk()
    alias: Mapped[str] = mapped_column(sa.String(512))
    # Where the alias is unique: "" account-wide (as Opsgenie's alias), "pd:<key id>" per PagerDuty service.
    dedup_scope: Mapped[str] = mapped_column(sa.String(64), default="")
    status: Mapped[AlertStatus] = mapped_column(default=AlertStatus.open)
    message: Mapped[str] = mapped_column(sa.String(130))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    priority: Mapped[Priority] = mapped_column(default=Priority.p3)
    source: Mapped[str] = mapped_column(sa.String(512), default="")
    entity: Mapped[str] = mapped_column(sa.String(512), default="")
    tags: Mapped[list[str]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Whom to page: [{"type": "team"|"user"|"schedule"|"escalation", "id": n}]
    responders: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # Responders the sender named that Warroom does not know: [{"type": "team", "name": "sre"}]. The alert was
    # stored and routed elsewhere (the other responders, its key's team or policy, or the catch-all).
    unresolved_responders: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # True when something the sender asked for could not be routed: an unresolved responder, or nothing to page
    # but the catch-all (WARROOM_UNROUTED_PAGE).
    unrouted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    escalation_policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("escalation_policies.id", ondelete="SET NULL"))
    integration_key_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("integration_keys.id", ondelete="SET NULL"))
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"), index=True)
    # How many events arrived for this alert (the first one included).
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_occurred_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Who acknowledged or closed it as they were named (a tool's ``user`` that is no Warroom user, or the key).
    acknowledged_by_label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    closed_by_label: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    snoozed_until: Mapped[datetime | None]
    # Who owns the alert (Opsgenie's assign); unset, the one who acknowledged it is shown as its owner.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # Where escalation stands: step index within the policy, and which repetition.
    escalation_step: Mapped[int] = mapped_column(default=0)
    escalation_round: Mapped[int] = mapped_column(default=0)
    # Bumped whenever escalation is re-planned (unacknowledge, snooze, escalate now, reassign): jobs of an
    # older generation are stale and do nothing.
    escalation_generation: Mapped[int] = mapped_column(default=0)

    @property
    def tiny_id(self) -> str:
        return str(self.id)


class AlertEvent(Base):
    """The alert's own timeline: created, duplicate, acknowledged, note, escalated, paged, closed …"""

    __tablename__ = "alert_events"
    __table_args__ = (sa.Index("ix_alert_events_alert_id_id", "alert_id", "id"),)

    id: Mapped[int] = int_pk()
    alert_id: Mapped[int] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class AlertRequest(Base):
    """Opsgenie answers 202 with a requestId; GET /v2/alerts/requests/{id} reports its outcome."""

    __tablename__ = "alert_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(32))
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id", ondelete="SET NULL"))
    alias: Mapped[str] = mapped_column(sa.String(512), default="")
    success: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(200), default="")
    integration_key_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("integration_keys.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(index=True)
