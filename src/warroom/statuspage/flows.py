"""The messenger's public updates: draft from a template, edit, publish to pages. One transaction each.

The room stays internal: a public update carries only what its writer typed into it, and publishing
copies nothing from the incident (not its title, summary, description or messages) to a page.
Publishing writes the room's timeline entry, the audit record, the components' new states, the page
versions and one delivery job per subscriber, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Status
from warroom.roles import service as roles
from warroom.roles.models import LEAD, MESSENGER
from warroom.statuspage import service, subscribers, text
from warroom.statuspage.models import (
    Component,
    ComponentState,
    PublicIncident,
    PublicIncidentComponent,
    PublicStatus,
    PublicUpdate,
    StatusPage,
    UpdatePosting,
    UpdateState,
)
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

MAX_PAGES_PER_PUBLISH = 20


@dataclass
class Published:
    update: PublicUpdate
    pages: list[StatusPage]
    public_incidents: list[PublicIncident]
    deliveries: int
    message: str
    warnings: list[str] = field(default_factory=list)


def public_status_for(status: Status) -> PublicStatus:
    """The public status a new draft starts from: the incident's own (closed reads as resolved)."""
    if status in (Status.resolved, Status.closed):
        return PublicStatus.resolved
    return PublicStatus(status.value)


def _incident_for_change(db: Session, actor: Actor, ref: str | int) -> Incident:
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    if incident.is_archived:
        raise Conflict(f"{incident.ref} is closed and its room archived; public updates are written before "
                       "closing.")
    return incident


def may_publish(*, db: Session, actor: Actor, incident: Incident) -> bool:
    """The messenger; the lead when the incident has no customer impact; an admin."""
    if actor.is_admin:
        return True
    if actor.user_id is None or actor.access_role.rank < AccessRole.responder.rank:
        return False
    messenger = roles.current(db=db, incident_id=incident.id, role=MESSENGER)
    if messenger is not None and messenger.user_id == actor.user_id:
        return True
    lead = roles.current(db=db, incident_id=incident.id, role=LEAD)
    return not incident.customer_impact and lead is not None and lead.user_id == actor.user_id


def require_publisher(*, db: Session, actor: Actor, incident: Incident) -> None:
    if may_publish(db=db, actor=actor, incident=incident):
        return
    raise PermissionDenied(f"@{actor.handle} may not publish for {incident.ref}: "
                           f"{_who_publishes(db, incident)}. Admins always may.")


def _who_publishes(db: Session, incident: Incident) -> str:
    """Who publishes for this incident, named when the role is held, so a colleague knows whom to ask."""
    messenger = roles.current(db=db, incident_id=incident.id, role=MESSENGER)
    held_by = _handle(db, messenger.user_id) if messenger is not None else None
    if incident.customer_impact:
        if held_by:
            return (f"its messenger, @{held_by}, publishes public updates for this customer-impact incident; "
                    f"ask @{held_by} to publish this draft")
        return ("the messenger (customer support) publishes public updates for customer-impact incidents; "
                "assign one with /incident messenger @person")
    lead = roles.current(db=db, incident_id=incident.id, role=LEAD)
    names = [f"@{h}" for h in (_handle(db, lead.user_id) if lead else None, held_by) if h]
    if names:
        return f"the incident lead or messenger ({' or '.join(dict.fromkeys(names))}) publishes public updates"
    return "the incident lead (or a messenger) publishes public updates; assign one with /incident lead @person"


def _handle(db: Session, user_id: int | None) -> str | None:
    user = db.get(User, user_id) if user_id is not None else None
    return user.handle if user is not None else None


# Drafts ----------------------------------------------------------------------------------------------------


def affected_names(*, db: Session, incident_id: int) -> list[str]:
    """Components already named publicly for this incident, on any page (what templates fill in)."""
    query = (sa.select(Component.name)
             .join(PublicIncidentComponent, PublicIncidentComponent.component_id == Component.id)
             .join(PublicIncident, PublicIncident.id == PublicIncidentComponent.public_incident_id)
             .where(PublicIncident.incident_id == incident_id).order_by(Component.position, Component.id))
    return list(dict.fromkeys(db.scalars(query)))


def public_title(*, db: Session, incident_id: int) -> str | None:
    """The title customers already know this incident by, if anything was published."""
    query = (sa.select(PublicIncident.title).where(PublicIncident.incident_id == incident_id)
             .order_by(PublicIncident.updated_at.desc(), PublicIncident.id.desc()).limit(1))
    return db.scalar(query)


def draft_update(*, db: Session, actor: Actor, ref: str | int, status: str | None = None,
                 title: str | None = None, body: str | None = None) -> PublicUpdate:
    """A new draft. What is not given comes from the template for the status (the incident's, by default)."""
    incident = _incident_for_change(db, actor, ref)
    which = service.parse_status(status) if status else public_status_for(incident.status)
    template = service.template_for(db=db, status=which)
    names = affected_names(db=db, incident_id=incident.id)
    known_title = public_title(db=db, incident_id=incident.id)
    draft_title = title if title is not None else (known_title or service.fill(template.title, names))
    draft_body = body if body is not None else service.fill(template.body, names)
    now = actor.clock.now()
    update = PublicUpdate(incident_id=incident.id, state=UpdateState.draft, status=which,
                          title=text.line(draft_title, "title", "public title", text.MAX_TITLE),
                          body=text.paragraphs(draft_body, "body", "update text"),
                          author_id=actor.user_id, created_at=now, updated_at=now)
    db.add(update)
    db.flush()
    audit.record(db=db, actor=actor, action="status_update.draft", target_type="incident", target_id=incident.ref,
                 update_id=update.id, status=which.value)
    return update


def visible_incident(*, db: Session, actor: Actor, ref: str | int) -> Incident:
    """The incident, for reading its public updates: a private one is "not found" to those who may not see it."""
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident


def get_update(*, db: Session, incident: Incident, update_id: int) -> PublicUpdate:
    update = db.get(PublicUpdate, update_id)
    if update is None or update.incident_id != incident.id:
        raise NotFound(f"No public update #{update_id} on {incident.ref}.", field="update")
    return update


def _draft(db: Session, incident: Incident, update_id: int) -> PublicUpdate:
    update = get_update(db=db, incident=incident, update_id=update_id)
    if update.state is not UpdateState.draft:
        raise Conflict(f"Public update #{update_id} is {update.state.value}; only drafts change. "
                       "Draft a new update instead.")
    return update


def edit_update(*, db: Session, actor: Actor, ref: str | int, update_id: int, title: str | None = None,
                status: str | None = None, body: str | None = None) -> PublicUpdate:
    incident = _incident_for_change(db, actor, ref)
    update = _draft(db, incident, update_id)
    if title is not None:
        update.title = text.line(title, "title", "public title", text.MAX_TITLE)
    if status is not None:
        update.status = service.parse_status(status)
    if body is not None:
        update.body = text.paragraphs(body, "body", "update text")
    update.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="status_update.edit", target_type="incident", target_id=incident.ref,
                 update_id=update.id)
    return update


def discard_update(*, db: Session, actor: Actor, ref: str | int, update_id: int) -> PublicUpdate:
    incident = _incident_for_change(db, actor, ref)
    update = _draft(db, incident, update_id)
    update.state = UpdateState.discarded
    update.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="status_update.discard", target_type="incident",
                 target_id=incident.ref, update_id=update.id)
    return update


def list_updates(*, db: Session, incident_id: int) -> list[PublicUpdate]:
    query = (sa.select(PublicUpdate).where(PublicUpdate.incident_id == incident_id,
                                           PublicUpdate.state != UpdateState.discarded)
             .order_by(PublicUpdate.id.desc()))
    return list(db.scalars(query))


def postings_of(*, db: Session, update_ids: Sequence[int]) -> dict[int, list[tuple[UpdatePosting, StatusPage]]]:
    """Where each published update went: its postings with their pages."""
    if not update_ids:
        return {}
    query = (sa.select(UpdatePosting, StatusPage)
             .join(PublicIncident, PublicIncident.id == UpdatePosting.public_incident_id)
             .join(StatusPage, StatusPage.id == PublicIncident.page_id)
             .where(UpdatePosting.update_id.in_(list(update_ids))).order_by(StatusPage.name))
    found: dict[int, list[tuple[UpdatePosting, StatusPage]]] = {}
    for posting, page in db.execute(query):
        found.setdefault(posting.update_id, []).append((posting, page))
    return found


def current_states(*, db: Session, incident_id: int) -> dict[int, ComponentState]:
    """Component id → the state this incident's latest update gave it, on every page it was posted to."""
    query = (sa.select(PublicIncidentComponent.component_id, PublicIncidentComponent.state)
             .join(PublicIncident, PublicIncident.id == PublicIncidentComponent.public_incident_id)
             .where(PublicIncident.incident_id == incident_id))
    return {int(component_id): state for component_id, state in db.execute(query)}


# Publish ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A draft's title, status and text as the publisher's screen shows them when they press Publish."""

    title: str
    status: str
    body: str


def unresolved_public_of(incident_id: Any) -> sa.ScalarSelect[int]:
    """A status page incident still in progress for this incident, as a subquery (the room pays no query)."""
    return (sa.select(PublicIncident.id).where(PublicIncident.incident_id == incident_id,
                                               PublicIncident.status != PublicStatus.resolved)
            .order_by(PublicIncident.id).limit(1).scalar_subquery())


def still_public(*, db: Session, incident_id: int) -> list[tuple[PublicIncident, StatusPage]]:
    """The status pages where customers still read this incident as in progress (not resolved)."""
    query = (sa.select(PublicIncident, StatusPage).join(StatusPage, StatusPage.id == PublicIncident.page_id)
             .where(PublicIncident.incident_id == incident_id, PublicIncident.status != PublicStatus.resolved)
             .order_by(StatusPage.name, StatusPage.id))
    return [(public, page) for public, page in db.execute(query)]


def what_customers_read(*, db: Session, incident: Incident) -> str | None:
    """Where the incident is still in progress publicly, e.g. “Checkout errors” (investigating) on Acme
    (/status/acme); None when every page that showed it says resolved."""
    stale = still_public(db=db, incident_id=incident.id)
    return "; ".join(f"“{public.title}” ({public.status.value}) on {page.name} (/status/{page.slug})"
                     for public, page in stale) or None


def stale_story(*, db: Session, incident: Incident) -> str | None:
    """What customers still read about an incident that is over, and what to do: None when nothing is stale."""
    where = what_customers_read(db=db, incident=incident)
    if where is None:
        return None
    return (f"Customers still read {where}. Publish the resolved update at /incidents/{incident.ref}/public-updates "
            "(the draft form there starts from the resolved template)")


def _target_pages(db: Session, actor: Actor, slugs: Sequence[str]) -> list[StatusPage]:
    wanted = list(dict.fromkeys(s.strip().lower() for s in slugs if s.strip()))
    if not wanted:
        raise ValidationFailed("Choose at least one status page to publish to.", field="pages")
    if len(wanted) > MAX_PAGES_PER_PUBLISH:
        raise ValidationFailed(f"Publish to at most {MAX_PAGES_PER_PUBLISH} pages at once.", field="pages")
    pages = [service.get_page(db=db, slug=slug) for slug in wanted]
    for page in pages:
        service.require_editor(db=db, actor=actor, page=page)
    return pages


def _target_components(db: Session, pages: Sequence[StatusPage],
                       states: Mapping[int, str]) -> dict[int, tuple[Component, ComponentState]]:
    chosen = {page.id: page for page in pages}
    found = service.components_by_id(db=db, ids=states.keys())
    targets: dict[int, tuple[Component, ComponentState]] = {}
    for component_id, state in states.items():
        component = found.get(component_id)
        if component is None:
            raise NotFound(f"No component #{component_id}.", field="components")
        if component.page_id not in chosen:
            names = ", ".join(p.name for p in pages)
            raise ValidationFailed(f"Component “{component.name}” (#{component_id}) is not on the pages chosen "
                                   f"({names}); choose its page too, or leave it out.", field="components")
        targets[component_id] = (component, service.parse_state(state, "components"))
    return targets


def publish_update(*, db: Session, actor: Actor, ref: str | int, update_id: int, pages: Sequence[str],
                   components: Mapping[int, str], shown: Shown | None = None) -> Published:
    """Publish a draft to pages, setting the affected components' states; notify subscribers.

    ``shown`` is the draft as the publisher sees it on screen (their edits, saved or not): that is what is
    published, so customers never read a template nobody finished. Everything is checked before anything is
    written: who may publish, that the draft is a draft, the text shown, every page exists and the publisher
    may edit it, every component is on a chosen page with a known state.
    """
    incident = _incident_for_change(db, actor, ref)
    require_publisher(db=db, actor=actor, incident=incident)
    update = _draft(db, incident, update_id)
    targets = _target_pages(db, actor, pages)
    states = _target_components(db, targets, components)
    if shown is not None:
        update.title = text.line(shown.title, "title", "public title", text.MAX_TITLE)
        update.status = service.parse_status(shown.status)
        update.body = text.paragraphs(shown.body, "body", "update text")
    title = text.line(update.title, "title", "public title", text.MAX_TITLE)
    text.paragraphs(update.body, "body", "update text")
    now = actor.clock.now()
    update.state = UpdateState.published
    update.published_at = now
    update.published_by_id = actor.user_id
    update.updated_at = now
    posted: list[PublicIncident] = []
    deliveries = 0
    for page in targets:
        on_page = {cid: pair for cid, pair in states.items() if pair[0].page_id == page.id}
        public, involved = _post_on_page(db, actor, page, incident, update, title, on_page)
        posted.append(public)
        service.bump(db=db, page=page, now=now)
        deliveries += subscribers.enqueue_update(db=db, page=page, update=update, component_ids=involved, now=now)
    names = ", ".join(p.name for p in targets)
    affected = ", ".join(f"{c.name}: {s.label.lower()}" for c, s in states.values())
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Public update published ({update.status.value}) to {names}: “{title}”"
                            + (f" — {affected}" if affected else ""),
                       public_update_id=update.id, status=update.status.value, pages=[p.slug for p in targets])
    if update.status is PublicStatus.resolved:
        checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.COMMS_CONFIRMED)
    audit.record(db=db, actor=actor, action="status_update.publish", target_type="incident",
                 target_id=incident.ref, update_id=update.id, status=update.status.value,
                 pages=[p.slug for p in targets], components={str(c.id): s.value for c, s in states.values()},
                 deliveries=deliveries)
    message = f"Published to {names}" + (f"; {deliveries} subscriber notification(s) queued" if deliveries else "")
    return Published(update, targets, posted, deliveries, message)


def _post_on_page(db: Session, actor: Actor, page: StatusPage, incident: Incident, update: PublicUpdate,
                  title: str, states: Mapping[int, tuple[Component, ComponentState]],
                  ) -> tuple[PublicIncident, list[int]]:
    """The page's public incident, updated; and every component it has named so far (whose subscribers hear)."""
    now = actor.clock.now()
    public = db.scalar(sa.select(PublicIncident).where(PublicIncident.page_id == page.id,
                                                       PublicIncident.incident_id == incident.id))
    if public is None:
        public = PublicIncident(page_id=page.id, incident_id=incident.id, title=title, status=update.status,
                                started_at=incident.declared_at, updated_at=now)
        db.add(public)
        db.flush()
    public.title = title
    public.status = update.status
    public.updated_at = now
    public.resolved_at = now if update.status is PublicStatus.resolved else None
    existing = {link.component_id: link for link in db.scalars(
        sa.select(PublicIncidentComponent).where(PublicIncidentComponent.public_incident_id == public.id))}
    for component, state in states.values():
        link = existing.get(component.id)
        if link is None:
            db.add(PublicIncidentComponent(public_incident_id=public.id, component_id=component.id, state=state))
        else:
            link.state = state
        service.apply_state(db=db, component=component, state=state, at=now, changed_by=actor.user_id,
                            public_incident_id=public.id)
    db.add(UpdatePosting(update_id=update.id, public_incident_id=public.id, affected=[
        {"component_id": c.id, "name": c.name, "state": s.value} for c, s in states.values()]))
    return public, sorted(set(existing) | set(states))
