"""Status pages, their components and maintenance windows, and the update templates. Commits nothing.

Every change that shows on a public page bumps the page's version in the same transaction, so the
rendered-output cache (keyed by that version) can never serve a page older than the last commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Membership, Team
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.statuspage import text
from warroom.statuspage.models import (
    Component,
    ComponentChange,
    ComponentGroup,
    ComponentState,
    Maintenance,
    MaintenanceComponent,
    PublicStatus,
    StatusPage,
    UpdateTemplate,
)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
# Words the addresses under /status/ and /api/v1/status-pages/ use for themselves.
RESERVED_SLUGS = {"templates", "new", "admin", "api", "static"}
MAX_COMPONENTS = 200
MAX_MAINTENANCE = timedelta(days=14)


# Pages -------------------------------------------------------------------------------------------------


def list_pages(*, db: Session, listed_only: bool = False) -> list[StatusPage]:
    query = sa.select(StatusPage).order_by(StatusPage.name, StatusPage.id)
    if listed_only:
        query = query.where(StatusPage.listed.is_(True))
    return list(db.scalars(query))


def find_page(*, db: Session, slug: str) -> StatusPage | None:
    return db.scalar(sa.select(StatusPage).where(StatusPage.slug == slug.strip().lower()))


def get_page(*, db: Session, slug: str) -> StatusPage:
    page = find_page(db=db, slug=slug)
    if page is None:
        slugs = ", ".join(p.slug for p in list_pages(db=db)) or "none yet"
        raise NotFound(f"No status page '{slug.strip()[:64]}'. Pages: {slugs}.", field="page")
    return page


def lock_page(*, db: Session, slug: str) -> StatusPage:
    """The page holding its row lock: changes to one page run one after the other."""
    page = db.scalar(sa.select(StatusPage).where(StatusPage.slug == slug.strip().lower()).with_for_update()
                     .execution_options(populate_existing=True))
    if page is None:
        return get_page(db=db, slug=slug)
    return page


def clean_slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed("A page's short name is lowercase letters, digits and '-', e.g. 'acme-cloud'.",
                               field="slug")
    if slug in RESERVED_SLUGS:
        raise ValidationFailed(f"'{slug}' is a word Warroom's addresses use; choose another short name.",
                               field="slug")
    return slug


def _team(db: Session, name: str | None) -> Team | None:
    if name is None or not name.strip():
        return None
    team = accounts.find_team(db=db, name=name)
    if team is None:
        teams = ", ".join(t.slug for t in accounts.list_teams(db=db)) or "none"
        raise NotFound(f"No team '{name.strip()[:64]}'. Teams: {teams}.", field="team")
    return team


def create_page(*, db: Session, actor: Actor, slug: str, name: str, description: str = "",
                team: str | None = None, listed: bool = True) -> StatusPage:
    actor.require(AccessRole.admin)
    slug = clean_slug(slug)
    if find_page(db=db, slug=slug) is not None:
        raise Conflict(f"A status page '{slug}' already exists.", field="slug")
    now = actor.clock.now()
    editors = _team(db, team)
    page = StatusPage(slug=slug, name=text.line(name, "name", "page name", text.MAX_TITLE),
                      description=text.paragraphs(description, "description", "description", required=False),
                      editor_team_id=editors.id if editors else None, listed=listed, version=1,
                      created_at=now, updated_at=now)
    db.add(page)
    db.flush()
    audit.record(db=db, actor=actor, action="status_page.create", target_type="status_page", target_id=slug,
                 name=page.name, team=editors.slug if editors else None)
    return page


def change_page(*, db: Session, actor: Actor, page: StatusPage, name: str | None = None,
                description: str | None = None, team: str | None = None, listed: bool | None = None) -> StatusPage:
    """Only what is given changes. The editing team is an admin's choice; the rest is the editors'."""
    require_editor(db=db, actor=actor, page=page)
    changed: dict[str, object] = {}
    if name is not None:
        page.name = changed["name"] = text.line(name, "name", "page name", text.MAX_TITLE)
    if description is not None:
        page.description = changed["description"] = text.paragraphs(description, "description", "description",
                                                                    required=False)
    if listed is not None:
        page.listed = changed["listed"] = listed
    if team is not None:
        actor.require(AccessRole.admin)
        editors = _team(db, team)
        page.editor_team_id = editors.id if editors else None
        changed["team"] = editors.slug if editors else None
    if changed:
        bump(db=db, page=page, now=actor.clock.now())
        audit.record(db=db, actor=actor, action="status_page.change", target_type="status_page",
                     target_id=page.slug, **changed)
    return page


def bump(*, db: Session, page: StatusPage, now: datetime) -> None:
    """Every change that shows on the page: a new version, so no cached copy of the old one is served."""
    db.execute(sa.update(StatusPage).where(StatusPage.id == page.id)
               .values(version=StatusPage.version + 1, updated_at=now))
    db.expire(page, ["version", "updated_at"])


def editor_team(*, db: Session, page: StatusPage) -> Team | None:
    return db.get(Team, page.editor_team_id) if page.editor_team_id else None


def may_edit(*, db: Session, actor: Actor, page: StatusPage) -> bool:
    if actor.is_admin:
        return True
    if actor.user_id is None or page.editor_team_id is None or actor.access_role.rank < AccessRole.responder.rank:
        return False
    member = db.get(Membership, (page.editor_team_id, actor.user_id))
    return member is not None


def require_editor(*, db: Session, actor: Actor, page: StatusPage) -> None:
    if may_edit(db=db, actor=actor, page=page):
        return
    team = editor_team(db=db, page=page)
    who = f"the {team.slug} team and admins" if team else "admins only"
    raise PermissionDenied(f"@{actor.handle} may not edit the status page “{page.name}” ({page.slug}): "
                           f"it is edited by {who}.", field="page")


def editable_pages(*, db: Session, actor: Actor) -> list[StatusPage]:
    pages = list_pages(db=db)
    if actor.is_admin:
        return pages
    if actor.user_id is None:
        return []
    teams = set(db.scalars(sa.select(Membership.team_id).where(Membership.user_id == actor.user_id)))
    return [p for p in pages if p.editor_team_id in teams and actor.access_role.rank >= AccessRole.responder.rank]


# Groups and components -----------------------------------------------------------------------------------


def list_groups(*, db: Session, page_id: int) -> list[ComponentGroup]:
    query = (sa.select(ComponentGroup).where(ComponentGroup.page_id == page_id)
             .order_by(ComponentGroup.position, ComponentGroup.id))
    return list(db.scalars(query))


def list_components(*, db: Session, page_id: int) -> list[Component]:
    query = sa.select(Component).where(Component.page_id == page_id).order_by(Component.position, Component.id)
    return list(db.scalars(query))


def components_by_id(*, db: Session, ids: Iterable[int]) -> dict[int, Component]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {c.id: c for c in db.scalars(sa.select(Component).where(Component.id.in_(wanted)))}


def _group(db: Session, page: StatusPage, name: str | None) -> ComponentGroup | None:
    if name is None or not name.strip():
        return None
    wanted = " ".join(name.split())
    group = db.scalar(sa.select(ComponentGroup).where(ComponentGroup.page_id == page.id,
                                                      ComponentGroup.name == wanted))
    if group is None:
        names = ", ".join(g.name for g in list_groups(db=db, page_id=page.id)) or "none yet"
        raise NotFound(f"No group '{wanted[:100]}' on “{page.name}”. Groups: {names}.", field="group")
    return group


def create_group(*, db: Session, actor: Actor, page: StatusPage, name: str) -> ComponentGroup:
    require_editor(db=db, actor=actor, page=page)
    clean = text.line(name, "name", "group name", text.MAX_NAME)
    if db.scalar(sa.select(ComponentGroup.id).where(ComponentGroup.page_id == page.id,
                                                    ComponentGroup.name == clean)) is not None:
        raise Conflict(f"“{page.name}” already has a group named “{clean}”.", field="name")
    position = int(db.scalar(sa.select(sa.func.count()).where(ComponentGroup.page_id == page.id)) or 0)
    now = actor.clock.now()
    group = ComponentGroup(page_id=page.id, name=clean, position=position, created_at=now)
    db.add(group)
    db.flush()
    bump(db=db, page=page, now=now)
    audit.record(db=db, actor=actor, action="status_page.group.create", target_type="status_page",
                 target_id=page.slug, group=clean)
    return group


def create_component(*, db: Session, actor: Actor, page: StatusPage, name: str, description: str = "",
                     group: str | None = None) -> Component:
    require_editor(db=db, actor=actor, page=page)
    clean = text.line(name, "name", "component name", text.MAX_NAME)
    about = text.line(description, "description", "component description", text.MAX_DESCRIPTION, required=False)
    in_group = _group(db, page, group)
    existing = list_components(db=db, page_id=page.id)
    if any(c.name == clean for c in existing):
        raise Conflict(f"“{page.name}” already has a component named “{clean}”.", field="name")
    if len(existing) >= MAX_COMPONENTS:
        raise ValidationFailed(f"A page holds at most {MAX_COMPONENTS} components.", field="name")
    now = actor.clock.now()
    component = Component(page_id=page.id, group_id=in_group.id if in_group else None, name=clean,
                          description=about, position=len(existing), state=ComponentState.operational,
                          state_since=now, created_at=now)
    db.add(component)
    db.flush()
    # The history starts with the component, so its first days read as measured, not as unknown.
    db.add(ComponentChange(component_id=component.id, state=component.state, at=now, changed_by_id=actor.user_id))
    bump(db=db, page=page, now=now)
    audit.record(db=db, actor=actor, action="status_page.component.create", target_type="status_page",
                 target_id=page.slug, component=clean, group=in_group.name if in_group else None)
    return component


def page_component(*, db: Session, page: StatusPage, component_id: int) -> Component:
    component = db.get(Component, component_id)
    if component is None or component.page_id != page.id:
        names = ", ".join(f"{c.id} ({c.name})" for c in list_components(db=db, page_id=page.id)) or "none yet"
        raise NotFound(f"No component #{component_id} on “{page.name}”. Components: {names}.", field="component")
    return component


def change_component(*, db: Session, actor: Actor, page: StatusPage, component_id: int, name: str | None = None,
                     description: str | None = None, group: str | None = None) -> Component:
    """Rename, describe or regroup a component (group "" takes it out of its group)."""
    require_editor(db=db, actor=actor, page=page)
    component = page_component(db=db, page=page, component_id=component_id)
    if name is not None:
        clean = text.line(name, "name", "component name", text.MAX_NAME)
        clash = db.scalar(sa.select(Component.id).where(Component.page_id == page.id, Component.name == clean,
                                                        Component.id != component.id))
        if clash is not None:
            raise Conflict(f"“{page.name}” already has a component named “{clean}”.", field="name")
        component.name = clean
    if description is not None:
        component.description = text.line(description, "description", "component description",
                                          text.MAX_DESCRIPTION, required=False)
    if group is not None:
        in_group = _group(db, page, group)
        component.group_id = in_group.id if in_group else None
    bump(db=db, page=page, now=actor.clock.now())
    audit.record(db=db, actor=actor, action="status_page.component.change", target_type="status_page",
                 target_id=page.slug, component_id=component.id, name=component.name)
    return component


def parse_state(value: str, field: str = "state") -> ComponentState:
    wanted = value.strip().lower().replace(" ", "_").replace("-", "_")
    aliases = {"degraded_performance": "degraded", "under_maintenance": "maintenance", "outage": "major_outage",
               "partial": "partial_outage", "major": "major_outage", "ok": "operational"}
    try:
        return ComponentState(aliases.get(wanted, wanted))
    except ValueError:
        choices = ", ".join(s.value for s in ComponentState)
        raise ValidationFailed(f"Unknown component state '{value.strip()[:40]}'. Choose one of: {choices}.",
                               field=field) from None


def parse_status(value: str, field: str = "status") -> PublicStatus:
    try:
        return PublicStatus(value.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in PublicStatus)
        raise ValidationFailed(f"Unknown public status '{value.strip()[:40]}'. Choose one of: {choices}.",
                               field=field) from None


def apply_state(*, db: Session, component: Component, state: ComponentState, at: datetime,
                changed_by: int | None, public_incident_id: int | None = None) -> bool:
    """Move a component to a state and write the history row; nothing when it is already there."""
    if component.state is state:
        return False
    component.state = state
    component.state_since = at
    db.add(ComponentChange(component_id=component.id, state=state, at=at, public_incident_id=public_incident_id,
                           changed_by_id=changed_by))
    return True


def set_component_state(*, db: Session, actor: Actor, page: StatusPage, component_id: int,
                        state: str) -> tuple[Component, bool]:
    """An editor sets a state by hand (outside any incident)."""
    require_editor(db=db, actor=actor, page=page)
    component = page_component(db=db, page=page, component_id=component_id)
    target = parse_state(state)
    before = component.state
    now = actor.clock.now()
    changed = apply_state(db=db, component=component, state=target, at=now, changed_by=actor.user_id)
    if changed:
        bump(db=db, page=page, now=now)
        audit.record(db=db, actor=actor, action="status_page.component.state", target_type="status_page",
                     target_id=page.slug, component=component.name, before=before.value, after=target.value)
    return component, changed


# Maintenance ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaintenanceView:
    maintenance: Maintenance
    component_ids: list[int]


def _page_component_ids(db: Session, page: StatusPage, ids: Sequence[int], field: str) -> list[int]:
    wanted = sorted(set(ids))
    found = {c.id for c in list_components(db=db, page_id=page.id)}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise NotFound(f"No component {', '.join(f'#{i}' for i in unknown)} on “{page.name}”.", field=field)
    return wanted


def schedule_maintenance(*, db: Session, actor: Actor, page: StatusPage, title: str, body: str,
                         starts_at: datetime, ends_at: datetime, component_ids: Sequence[int]) -> Maintenance:
    require_editor(db=db, actor=actor, page=page)
    clean_title = text.line(title, "title", "maintenance title", text.MAX_TITLE)
    clean_body = text.paragraphs(body, "body", "maintenance description", required=False)
    for value, field in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        if value.tzinfo is None:
            raise ValidationFailed("Give maintenance times with a time zone, e.g. 2026-01-10T02:00:00Z.", field=field)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    now = actor.clock.now()
    if ends_at <= starts_at:
        raise ValidationFailed("The maintenance must end after it starts.", field="ends_at")
    if ends_at <= now:
        raise ValidationFailed("The maintenance window is already over; schedule one that ends in the future.",
                               field="ends_at")
    if ends_at - starts_at > MAX_MAINTENANCE:
        raise ValidationFailed(f"A maintenance window lasts at most {MAX_MAINTENANCE.days} days.",
                               field="ends_at")
    ids = _page_component_ids(db, page, component_ids, "components")
    if not ids:
        raise ValidationFailed("Choose the components the maintenance affects.", field="components")
    window = Maintenance(page_id=page.id, title=clean_title, body=clean_body, starts_at=starts_at, ends_at=ends_at,
                         created_by_id=actor.user_id, created_at=now)
    db.add(window)
    db.flush()
    db.add_all([MaintenanceComponent(maintenance_id=window.id, component_id=i) for i in ids])
    bump(db=db, page=page, now=now)
    audit.record(db=db, actor=actor, action="status_page.maintenance.schedule", target_type="status_page",
                 target_id=page.slug, maintenance_id=window.id, title=clean_title,
                 starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), components=ids)
    return window


def cancel_maintenance(*, db: Session, actor: Actor, page: StatusPage, maintenance_id: int) -> Maintenance:
    require_editor(db=db, actor=actor, page=page)
    window = db.get(Maintenance, maintenance_id)
    if window is None or window.page_id != page.id:
        raise NotFound(f"No maintenance #{maintenance_id} on “{page.name}”.", field="maintenance")
    if window.cancelled_at is not None:
        raise Conflict(f"Maintenance #{maintenance_id} is already cancelled.")
    now = actor.clock.now()
    if window.ends_at <= now:
        raise Conflict(f"Maintenance #{maintenance_id} is already over; it stays in the page's history.")
    window.cancelled_at = now
    bump(db=db, page=page, now=now)
    audit.record(db=db, actor=actor, action="status_page.maintenance.cancel", target_type="status_page",
                 target_id=page.slug, maintenance_id=window.id)
    return window


def list_maintenances(*, db: Session, page_id: int, since: datetime | None = None,
                      include_cancelled: bool = True) -> list[MaintenanceView]:
    """Windows that end after ``since`` (all of them without it), earliest first, with their components."""
    query = sa.select(Maintenance).where(Maintenance.page_id == page_id)
    if since is not None:
        query = query.where(Maintenance.ends_at > since)
    if not include_cancelled:
        query = query.where(Maintenance.cancelled_at.is_(None))
    windows = list(db.scalars(query.order_by(Maintenance.starts_at, Maintenance.id)))
    if not windows:
        return []
    links = db.execute(sa.select(MaintenanceComponent.maintenance_id, MaintenanceComponent.component_id)
                       .where(MaintenanceComponent.maintenance_id.in_([w.id for w in windows])))
    by_window: dict[int, list[int]] = {}
    for maintenance_id, component_id in links:
        by_window.setdefault(maintenance_id, []).append(component_id)
    return [MaintenanceView(w, sorted(by_window.get(w.id, []))) for w in windows]


# Update templates ------------------------------------------------------------------------------------------

DEFAULT_TITLE = "Problems with {components}"
BUILTIN_TEMPLATES: dict[PublicStatus, tuple[str, str]] = {
    PublicStatus.investigating: (
        DEFAULT_TITLE,
        "We are investigating reports of problems with {components}. We will post an update as soon as we "
        "know more.",
    ),
    PublicStatus.identified: (
        DEFAULT_TITLE,
        "We have identified the cause of the problems with {components} and are working on a fix.",
    ),
    PublicStatus.monitoring: (
        DEFAULT_TITLE,
        "A fix is in place for {components}. We are watching closely to make sure it holds.",
    ),
    PublicStatus.resolved: (
        DEFAULT_TITLE,
        "This incident is resolved: everything affected ({components}) works normally again. We are sorry for "
        "the trouble it caused.",
    ),
}
NO_COMPONENTS = "some of our services"
PLACEHOLDER_RE = re.compile(r"\{components\}")


@dataclass(frozen=True)
class TemplateView:
    status: PublicStatus
    title: str
    body: str
    is_default: bool
    updated_at: datetime | None


def list_templates(*, db: Session) -> list[TemplateView]:
    saved = {t.status: t for t in db.scalars(sa.select(UpdateTemplate))}
    views = []
    for status in PublicStatus:
        row = saved.get(status)
        if row is None:
            title, body = BUILTIN_TEMPLATES[status]
            views.append(TemplateView(status, title, body, True, None))
        else:
            views.append(TemplateView(status, row.title, row.body, False, row.updated_at))
    return views


def template_for(*, db: Session, status: PublicStatus) -> TemplateView:
    return next(t for t in list_templates(db=db) if t.status is status)


def may_edit_templates(*, db: Session, actor: Actor) -> bool:
    return actor.is_admin or bool(editable_pages(db=db, actor=actor))


def save_template(*, db: Session, actor: Actor, status: str, title: str, body: str) -> TemplateView:
    """Editors of any page (and admins) word the templates every messenger starts from."""
    actor.require(AccessRole.responder)
    if not may_edit_templates(db=db, actor=actor):
        raise PermissionDenied("Only admins and editors of a status page change the update templates.")
    which = parse_status(status)
    clean_title = text.line(title, "title", "template title", text.MAX_TITLE)
    clean_body = text.paragraphs(body, "body", "template text")
    now = actor.clock.now()
    row = db.scalar(sa.select(UpdateTemplate).where(UpdateTemplate.status == which))
    if row is None:
        row = UpdateTemplate(status=which, title=clean_title, body=clean_body, updated_at=now,
                             updated_by_id=actor.user_id)
        db.add(row)
    else:
        row.title, row.body, row.updated_at, row.updated_by_id = clean_title, clean_body, now, actor.user_id
    audit.record(db=db, actor=actor, action="status_page.template.save", target_type="status_template",
                 target_id=which.value)
    return TemplateView(which, clean_title, clean_body, False, now)


def reset_template(*, db: Session, actor: Actor, status: str) -> TemplateView:
    actor.require(AccessRole.responder)
    if not may_edit_templates(db=db, actor=actor):
        raise PermissionDenied("Only admins and editors of a status page change the update templates.")
    which = parse_status(status)
    db.execute(sa.delete(UpdateTemplate).where(UpdateTemplate.status == which))
    audit.record(db=db, actor=actor, action="status_page.template.reset", target_type="status_template",
                 target_id=which.value)
    title, body = BUILTIN_TEMPLATES[which]
    return TemplateView(which, title, body, True, None)


def fill(template: str, component_names: Sequence[str]) -> str:
    """Put the affected components' names where the template says {components}."""
    names = list(dict.fromkeys(component_names))
    if not names:
        listed = NO_COMPONENTS
    elif len(names) == 1:
        listed = names[0]
    else:
        listed = ", ".join(names[:-1]) + " and " + names[-1]
    return PLACEHOLDER_RE.sub(lambda _: listed, template)


# The demo organisation's page ------------------------------------------------------------------------------

DEMO_COMPONENTS = [
    ("Product", "Web app", "The Warroom demo web application"),
    ("Product", "Search", "Searching code and documents"),
    ("Product", "Code intelligence", "Go to definition, find references"),
    ("Platform", "API", "The public REST API"),
    ("Platform", "Sign-in", "Single sign-on and passwords"),
]


def seed_demo_page(*, db: Session, actor: Actor) -> StatusPage:
    """One public page, edited by customer support, with a few components and maintenance next week."""
    page = create_page(db=db, actor=actor, slug="demo", name="Warroom demo", team="customer-support",
                       description="How the Warroom demo's services are doing. Updates come from our messengers.")
    for group in dict.fromkeys(g for g, _, _ in DEMO_COMPONENTS):
        create_group(db=db, actor=actor, page=page, name=group)
    created = {name: create_component(db=db, actor=actor, page=page, name=name, description=about, group=group)
               for group, name, about in DEMO_COMPONENTS}
    start = datetime.combine(actor.clock.now().date() + timedelta(days=5), datetime.min.time(), tzinfo=UTC)
    schedule_maintenance(db=db, actor=actor, page=page, title="Database upgrade",
                         body="The API may answer slowly for a few minutes while the database switches over.",
                         starts_at=start + timedelta(hours=2), ends_at=start + timedelta(hours=3),
                         component_ids=[created["API"].id])
    return page
