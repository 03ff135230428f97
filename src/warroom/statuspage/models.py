"""The public status page: pages, components and their history, public incidents and updates, subscribers.

An incident's room stays internal. What customers read is written separately, as public updates,
by the messenger (or the lead when there is no customer impact), and only published ones appear.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ComponentState(enum.StrEnum):
    operational = "operational"
    degraded = "degraded"
    partial_outage = "partial_outage"
    major_outage = "major_outage"
    maintenance = "maintenance"

    @property
    def label(self) -> str:
        return STATE_LABELS[self]

    @property
    def rank(self) -> int:
        """How bad it is: the page and a group show their worst component."""
        return STATE_RANKS[self]


STATE_LABELS = {
    ComponentState.operational: "Operational",
    ComponentState.degraded: "Degraded performance",
    ComponentState.partial_outage: "Partial outage",
    ComponentState.major_outage: "Major outage",
    ComponentState.maintenance: "Under maintenance",
}
STATE_RANKS = {
    ComponentState.operational: 0,
    ComponentState.maintenance: 1,
    ComponentState.degraded: 2,
    ComponentState.partial_outage: 3,
    ComponentState.major_outage: 4,
}


class PublicStatus(enum.StrEnum):
    """Where a public incident stands, as customers read it."""

    investigating = "investigating"
    identified = "identified"
    monitoring = "monitoring"
    resolved = "resolved"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class UpdateState(enum.StrEnum):
    draft = "draft"
    published = "published"
    discarded = "discarded"


class SubscriberKind(enum.StrEnum):
    email = "email"
    webhook = "webhook"


class StatusPage(Base):
    __tablename__ = "status_pages"

    id: Mapped[int] = int_pk()
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Members of this team may edit the page; admins always may. No team: admins only.
    editor_team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    # Shown in the /status list; an unlisted page is still public at its own address.
    listed: Mapped[bool] = mapped_column(default=True)
    # Bumped by every change that shows on the page: the key of the rendered-output cache.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ComponentGroup(Base):
    __tablename__ = "status_component_groups"
    __table_args__ = (sa.UniqueConstraint("page_id", "name", name="uq_status_component_groups_page_name"),)

    id: Mapped[int] = int_pk()
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("status_pages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class Component(Base):
    __tablename__ = "status_components"
    __table_args__ = (sa.UniqueConstraint("page_id", "name", name="uq_status_components_page_name"),)

    id: Mapped[int] = int_pk()
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("status_pages.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("status_component_groups.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[ComponentState] = mapped_column(default=ComponentState.operational)
    state_since: Mapped[datetime]
    created_at: Mapped[datetime]


class ComponentChange(Base):
    """A component entered a state: the history the uptime bars are computed from."""

    __tablename__ = "status_component_changes"
    __table_args__ = (sa.Index("ix_status_component_changes_component_id_at", "component_id", "at"),)

    id: Mapped[int] = int_pk()
    component_id: Mapped[int] = mapped_column(sa.ForeignKey("status_components.id", ondelete="CASCADE"))
    state: Mapped[ComponentState]
    at: Mapped[datetime]
    public_incident_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("status_incidents.id", ondelete="SET NULL"))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class PublicIncident(Base):
    """An incident as one status page shows it: a public title, a public status, affected components."""

    __tablename__ = "status_incidents"
    __table_args__ = (
        sa.UniqueConstraint("page_id", "incident_id", name="uq_status_incidents_page_incident"),
        sa.Index("ix_status_incidents_page_id_started_at", "page_id", "started_at"),
    )

    id: Mapped[int] = int_pk()
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("status_pages.id", ondelete="CASCADE"))
    # The internal Warroom incident it speaks for; never shown publicly.
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"),
                                                    index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[PublicStatus]
    started_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PublicIncidentComponent(Base):
    __tablename__ = "status_incident_components"

    public_incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("status_incidents.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        sa.ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True, index=True)
    # The state the latest update gave it.
    state: Mapped[ComponentState]


class PublicUpdate(Base):
    """What the messenger tells customers: a draft until published, then on one or more pages."""

    __tablename__ = "status_updates"

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    state: Mapped[UpdateState] = mapped_column(default=UpdateState.draft)
    status: Mapped[PublicStatus]
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class UpdatePosting(Base):
    """A published update on one page's public incident, with the components it named there."""

    __tablename__ = "status_update_postings"

    update_id: Mapped[int] = mapped_column(sa.ForeignKey("status_updates.id", ondelete="CASCADE"),
                                           primary_key=True)
    public_incident_id: Mapped[int] = mapped_column(
        sa.ForeignKey("status_incidents.id", ondelete="CASCADE"), primary_key=True, index=True)
    # [{"component_id", "name", "state"}] as published, so old updates read as they were.
    affected: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)


class UpdateTemplate(Base):
    """The wording a new public update starts from, per status. Without a row, the built-in default."""

    __tablename__ = "status_update_templates"

    id: Mapped[int] = int_pk()
    status: Mapped[PublicStatus] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))


class Maintenance(Base):
    """A scheduled maintenance window: its components show "under maintenance" while it runs."""

    __tablename__ = "status_maintenances"

    id: Mapped[int] = int_pk()
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("status_pages.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class MaintenanceComponent(Base):
    __tablename__ = "status_maintenance_components"

    maintenance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("status_maintenances.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[int] = mapped_column(
        sa.ForeignKey("status_components.id", ondelete="CASCADE"), primary_key=True, index=True)


class Subscriber(Base):
    """Someone told of each publish: an email address (double opt-in) or a webhook URL."""

    __tablename__ = "status_subscribers"
    __table_args__ = (
        sa.UniqueConstraint("page_id", "kind", "address", name="uq_status_subscribers_page_kind_address"),
    )

    id: Mapped[int] = int_pk()
    page_id: Mapped[int] = mapped_column(sa.ForeignKey("status_pages.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SubscriberKind]
    address: Mapped[str] = mapped_column(sa.String(1000))
    # Only these components' news; empty means the whole page.
    component_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    # Signs webhook deliveries (Standard Webhooks); empty for email.
    secret: Mapped[str] = mapped_column(sa.String(100), default="")
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    confirmation_sent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
