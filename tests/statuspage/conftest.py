"""Status page fixtures: the handbook's people, a page edited by customer support, its components,
an incident with a messenger, and helpers to draft and publish through the real flows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, TokenScope, User
from warroom.api.app import create_app
from warroom.core.actor import Actor
from warroom.incidents import flows as incident_flows
from warroom.runtime import Runtime
from warroom.statuspage import flows, service
from warroom.statuspage.models import Component, StatusPage

from .. import support
from ..api.conftest import Caller, stored
from ..dns import public_dns
from ..factories import Factory
from ..support import Who, inbox_fixture, people
from ..web.conftest import browser  # noqa: F401  (the fixture ``browser(user)``: a signed-in browser)

__all__ = ["Caller", "stored"]


@dataclass
class Org:
    """An admin, the lead (engineering), the messenger and another support person, a stranger, a viewer."""

    alice: User  # admin, engineering
    bob: User  # responder, engineering: the incident lead
    carol: User  # responder, customer support: the messenger
    sam: User  # responder, customer support, not on the incident
    eve: User  # responder, marketing: may edit no page
    vic: User  # viewer
    factory: Factory

    def actor(self, user: User) -> Actor:
        return self.factory.actor(user)


@pytest.fixture
def public_names(runtime: Runtime) -> None:
    """Webhook host names resolve to a public address (this machine may have no DNS; nothing connects)."""
    runtime.resolver = public_dns


@pytest.fixture
def org(factory: Factory) -> Org:
    spec: dict[str, Who] = {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                            "carol": "customer-support", "sam": "customer-support", "eve": "marketing",
                            "vic": AccessRole.viewer}
    return Org(**people(factory, spec), factory=factory)


@dataclass
class Site:
    page: StatusPage
    other: StatusPage  # edited by marketing only
    components: dict[str, Component]
    other_components: dict[str, Component]


@pytest.fixture
def site(runtime: Runtime, org: Org) -> Site:
    """"Acme Cloud" (customer support edits it) with grouped components, and "Marketing site" (marketing edits)."""
    admin = org.actor(org.alice)
    with runtime.database.writing() as db:
        page = service.create_page(db=db, actor=admin, slug="acme", name="Acme Cloud", team="customer-support",
                                   description="How Acme Cloud is doing.")
        service.create_group(db=db, actor=admin, page=page, name="Product")
        components = {name: service.create_component(db=db, actor=admin, page=page, name=name,
                                                     group="Product" if name != "API" else None)
                      for name in ("Web app", "Search", "API")}
        other = service.create_page(db=db, actor=admin, slug="marketing", name="Marketing site", team="marketing")
        other_components = {"Blog": service.create_component(db=db, actor=admin, page=other, name="Blog")}
        db.refresh(page)
        db.refresh(other)
        return Site(page, other, components, other_components)


@dataclass
class Room:
    ref: str
    incident_id: int


def open_incident(runtime: Runtime, org: Org, *, customer_impact: bool = True, title: str = "Search is down",
                  **fields: Any) -> Room:
    bob, carol = org.actor(org.bob), org.actor(org.carol)
    with runtime.database.writing() as db:
        incident = incident_flows.declare_incident(db=db, actor=bob, title=title, severity="critical",
                                                   customer_impact=customer_impact, **fields).incident
        incident_flows.assign_role(db=db, actor=bob, ref=incident.ref, role="lead", who="@bob")
        if customer_impact:
            incident_flows.assign_role(db=db, actor=bob, ref=incident.ref, role="messenger", who="@carol")
            incident_flows.acknowledge(db=db, actor=carol, ref=incident.ref, role="messenger")
        return Room(incident.ref, incident.id)


@pytest.fixture
def room(runtime: Runtime, org: Org, site: Site) -> Room:
    """A customer-impact incident: lead @bob, messenger @carol."""
    return open_incident(runtime, org)


def publish(runtime: Runtime, actor: Actor, ref: str, *, status: str = "investigating", title: str = "Search problems",
            body: str = "We are looking into it.", pages: tuple[str, ...] = ("acme",),
            components: dict[int, str] | None = None) -> flows.Published:
    with runtime.database.writing() as db:
        draft = flows.draft_update(db=db, actor=actor, ref=ref, status=status, title=title, body=body)
        return flows.publish_update(db=db, actor=actor, ref=ref, update_id=draft.id, pages=list(pages),
                                    components=components or {})


jobs = partial(support.jobs, kind="status_page")  # jobs(runtime): the status-page sends, oldest first


@pytest.fixture
def callers(client: TestClient, org: Org) -> dict[str, Caller]:
    """Each person's API client (admin scope for the admin, write for responders, read for the viewer)."""
    scopes = {"alice": TokenScope.admin, "vic": TokenScope.read}
    return {u.handle: Caller(client, org.factory.token(u, scopes.get(u.handle, TokenScope.write)))
            for u in (org.alice, org.bob, org.carol, org.sam, org.eve, org.vic)}


@pytest.fixture
def anonymous(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_engine=False), follow_redirects=False) as client:
        yield client


# A real SMTP server, and the runtime's mail settings pointing at it (set before runtime.engine()).
inbox = inbox_fixture(mail_from="Acme status <status@acme.example>")
