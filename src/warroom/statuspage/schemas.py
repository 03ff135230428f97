"""Status pages on the wire. Inputs forbid unknown fields; states and statuses stay strings the services parse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.bounds import Int
from warroom.statuspage.models import Component, ComponentGroup, PublicUpdate, StatusPage, Subscriber
from warroom.statuspage.service import MaintenanceView, TemplateView

MAX_LIST = 200


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Inputs ----------------------------------------------------------------------------------------------------


class PageIn(Input):
    slug: str = Field(description="The page's address: /status/<slug>.", examples=["acme-cloud"])
    name: str = Field(examples=["Acme Cloud"])
    description: str = ""
    team: str | None = Field(None, description="The team whose members may edit it (admins always may).",
                             examples=["customer-support"])
    listed: bool = Field(True, description="Shown in the /status list.")


class PageChangeIn(Input):
    """Only the fields sent change. ``team`` (admins only): a team's slug, or "" for admins only."""

    name: str | None = None
    description: str | None = None
    team: str | None = None
    listed: bool | None = None


class GroupIn(Input):
    name: str = Field(examples=["Product"])


class ComponentIn(Input):
    name: str = Field(examples=["Search"])
    description: str = ""
    group: str | None = Field(None, description="The name of one of the page's groups.")


class ComponentChangeIn(Input):
    name: str | None = None
    description: str | None = None
    group: str | None = Field(None, description="A group's name, or \"\" to take it out of its group.")


class ComponentStateIn(Input):
    state: str = Field(description="operational, degraded, partial_outage, major_outage or maintenance.",
                       examples=["partial_outage"])


class MaintenanceIn(Input):
    title: str = Field(examples=["Database upgrade"])
    body: str = ""
    starts_at: datetime
    ends_at: datetime
    components: list[Int] = Field(max_length=MAX_LIST, description="Ids of the page's components it affects.")


class WebhookSubscriberIn(Input):
    url: str = Field(examples=["https://hooks.example.com/warroom"])
    components: list[Int] = Field(default_factory=list, max_length=MAX_LIST,
                                  description="Only these components' news; empty for the whole page.")


class TemplateIn(Input):
    title: str = Field(description="{components} becomes the affected components' names.")
    body: str


class DraftIn(Input):
    """What is left out comes from the template for the status (by default the incident's own)."""

    status: str | None = Field(None, description="investigating, identified, monitoring or resolved.")
    title: str | None = Field(None, description="The public title; the internal title is never used by itself.")
    body: str | None = None


class DraftChangeIn(Input):
    title: str | None = None
    status: str | None = None
    body: str | None = None


class AffectedIn(Input):
    id: Int = Field(description="A component id.")
    state: str = Field(description="Its state now: operational, degraded, partial_outage, major_outage, maintenance.")


class PublishIn(Input):
    pages: list[str] = Field(max_length=MAX_LIST, description="Slugs of the pages to publish to.",
                             examples=[["acme-cloud"]])
    components: list[AffectedIn] = Field(default_factory=list, max_length=MAX_LIST)


# Outputs ----------------------------------------------------------------------------------------------------


class PageOut(BaseModel):
    slug: str
    name: str
    description: str
    team: str | None
    listed: bool
    url: str = Field(description="The public page.")
    version: int = Field(description="Goes up with every change the public page shows.")
    updated_at: datetime

    @classmethod
    def of(cls, page: StatusPage, *, team: str | None, base_url: str) -> PageOut:
        return cls(slug=page.slug, name=page.name, description=page.description, team=team, listed=page.listed,
                   url=f"{base_url.rstrip('/')}/status/{page.slug}", version=page.version, updated_at=page.updated_at)


class GroupOut(BaseModel):
    id: int
    name: str
    position: int

    @classmethod
    def of(cls, group: ComponentGroup) -> GroupOut:
        return cls(id=group.id, name=group.name, position=group.position)


class ComponentOut(BaseModel):
    id: int
    name: str
    description: str
    group: str | None
    state: str
    state_since: datetime

    @classmethod
    def of(cls, component: Component, groups: dict[int, str]) -> ComponentOut:
        return cls(id=component.id, name=component.name, description=component.description,
                   group=groups.get(component.group_id) if component.group_id else None,
                   state=component.state.value, state_since=component.state_since)


class PageDetailOut(PageOut):
    may_edit: bool = Field(description="Whether the caller may edit this page.")
    groups: list[GroupOut]
    components: list[ComponentOut]


class MaintenanceOut(BaseModel):
    id: int
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime | None
    components: list[int]

    @classmethod
    def of(cls, view: MaintenanceView) -> MaintenanceOut:
        m = view.maintenance
        return cls(id=m.id, title=m.title, body=m.body, starts_at=m.starts_at, ends_at=m.ends_at,
                   cancelled_at=m.cancelled_at, components=view.component_ids)


class SubscriberOut(BaseModel):
    id: int
    kind: str
    address: str
    components: list[int]
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, subscriber: Subscriber) -> SubscriberOut:
        return cls(id=subscriber.id, kind=subscriber.kind.value, address=subscriber.address,
                   components=list(subscriber.component_ids), confirmed_at=subscriber.confirmed_at,
                   unsubscribed_at=subscriber.unsubscribed_at, created_at=subscriber.created_at)


class WebhookSubscriberOut(SubscriberOut):
    secret: str = Field(description="Signs every delivery (Standard Webhooks). Shown only in this answer.")


class TemplateOut(BaseModel):
    status: str
    title: str
    body: str
    is_default: bool
    updated_at: datetime | None

    @classmethod
    def of(cls, view: TemplateView) -> TemplateOut:
        return cls(status=view.status.value, title=view.title, body=view.body, is_default=view.is_default,
                   updated_at=view.updated_at)


class PostingOut(BaseModel):
    page: str
    public_incident_id: int
    components: list[dict[str, Any]]


class PublicUpdateOut(BaseModel):
    id: int
    incident: str
    state: str = Field(description="draft, published or discarded.")
    status: str
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    pages: list[PostingOut] = Field(default_factory=list, description="Where it was published.")

    @classmethod
    def of(cls, update: PublicUpdate, *, ref: str, pages: list[PostingOut] | None = None) -> PublicUpdateOut:
        return cls(id=update.id, incident=ref, state=update.state.value, status=update.status.value,
                   title=update.title, body=update.body, created_at=update.created_at, updated_at=update.updated_at,
                   published_at=update.published_at, pages=pages or [])


class PublishOut(BaseModel):
    update: PublicUpdateOut
    deliveries: int = Field(description="Subscriber notifications queued.")
    message: str
