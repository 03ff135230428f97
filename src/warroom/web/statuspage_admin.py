"""Editing status pages (signed in): pages, groups, components and their state, maintenance, subscribers,
update templates; and the messenger's public updates for an incident (draft, edit, publish).

Every form posts to its own route and calls one service function in one transaction; a refused form
shows its page again with the error beside the form, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId, is_count
from warroom.core.errors import ValidationFailed
from warroom.incidents import service as incidents
from warroom.roles import service as roles
from warroom.roles.models import LEAD, MESSENGER
from warroom.runtime import Runtime
from warroom.statuspage import flows, service, subscribers
from warroom.statuspage.models import ComponentState, PublicStatus, StatusPage, Subscriber, UpdateState
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, post_form
from warroom.web.templating import SECURITY_HEADERS, page

router = APIRouter(include_in_schema=False)

STATES = list(ComponentState)
STATUSES = list(PublicStatus)
MAX_FORM_FIELDS = 1000


async def read_fields(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """A form's single values, and every value of fields that repeat (checkboxes)."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, value)
            lists.setdefault(key, []).append(value)
    return values, lists


def ids_of(values: list[str], field: str) -> list[int]:
    ids = []
    for value in values:
        if not is_count(value.strip()) or len(value.strip()) > 12:
            raise ValidationFailed(f"'{value[:20]}' is not a component number.", field=field)
        ids.append(int(value.strip()))
    return ids


def utc_time(value: str, field: str, what: str) -> datetime:
    """A form's date and time, read as UTC (the page says so)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"Give the {what} as a date and time (UTC), e.g. 2026-01-10 02:00.",
                               field=field) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def checked(values: dict[str, str], name: str) -> bool:
    return values.get(name, "") not in ("", "0", "false", "off")


# The list of pages ------------------------------------------------------------------------------------------


def _pages_page(runtime: Runtime, request: Request, *, error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        pages = service.list_pages(db=db)
        editable = {p.id for p in service.editable_pages(db=db, actor=principal.actor)}
        teams = {t.id: t.slug for t in accounts.list_teams(db=db)}
        may_templates = service.may_edit_templates(db=db, actor=principal.actor)
    return page(runtime, request, "status_admin_pages.html", {
        "principal": principal, "pages": pages, "editable": editable, "teams": teams,
        "team_slugs": sorted(teams.values()), "may_templates": may_templates,
        "values": error.values if error else {}, "form_error": error, "nav": "admin", "section": "status-pages",
    }, error.status if error else 200)


@router.get("/admin/status-pages")
def admin_link() -> Response:
    return RedirectResponse("/status-pages", status_code=303, headers=SECURITY_HEADERS)


@router.get("/status-pages")
def pages_list(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _pages_page(runtime, request)


@router.post("/status-pages")
async def create_page(request: Request, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    values, _ = await read_fields(request)

    def change(db: Session) -> str:
        created = service.create_page(db=db, actor=principal.actor, slug=values.get("slug", ""),
                                      name=values.get("name", ""), description=values.get("description", ""),
                                      team=values.get("team") or None, listed=checked(values, "listed"))
        return f"Created the status page “{created.name}” at /status/{created.slug}"

    return await post_form(
        request, runtime, principal, "page", values, change, then="/status-pages",
        on_error=lambda error: _pages_page(runtime, request, error=error))


# Update templates ---------------------------------------------------------------------------------------------


def _templates_page(runtime: Runtime, request: Request, *, error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        templates = service.list_templates(db=db)
        may_edit = service.may_edit_templates(db=db, actor=principal.actor)
    return page(runtime, request, "status_admin_templates.html", {
        "principal": principal, "templates": templates, "may_edit": may_edit, "form_error": error, "nav": "admin",
    }, error.status if error else 200)


@router.get("/status-pages/templates")
def templates_page(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _templates_page(runtime, request)


@router.post("/status-pages/templates/{status}")
async def save_template(request: Request, status: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    values, _ = await read_fields(request)

    def change(db: Session) -> str:
        if checked(values, "reset"):
            saved = service.reset_template(db=db, actor=principal.actor, status=status)
            return f"The {saved.status.value} template is back to the built-in wording"
        saved = service.save_template(db=db, actor=principal.actor, status=status, title=values.get("title", ""),
                                      body=values.get("body", ""))
        return f"Saved the {saved.status.value} template"

    return await post_form(
        request, runtime, principal, f"template:{status}", values, change, then="/status-pages/templates",
        on_error=lambda error: _templates_page(runtime, request, error=error))


# One page's editor ---------------------------------------------------------------------------------------------


def _editor_page(runtime: Runtime, request: Request, slug: str, *, error: FormError | None = None,
                 created: Subscriber | None = None) -> Response:
    with reading_as(request) as (db, principal):
        status_page = service.get_page(db=db, slug=slug)
        may_edit = service.may_edit(db=db, actor=principal.actor, page=status_page)
        team = service.editor_team(db=db, page=status_page)
        context: dict[str, Any] = {
            "principal": principal, "sp": status_page, "may_edit": may_edit, "team": team,
            "team_slugs": [t.slug for t in accounts.list_teams(db=db)],
            "groups": service.list_groups(db=db, page_id=status_page.id),
            "components": service.list_components(db=db, page_id=status_page.id),
            "maintenance": service.list_maintenances(db=db, page_id=status_page.id, since=runtime.clock.now()),
            "subscribers": subscribers.list_subscribers(db=db, page_id=status_page.id) if may_edit else [],
            "states": STATES, "created": created, "form_error": error, "nav": "admin",
            "now": runtime.clock.now(),
        }
    return page(runtime, request, "status_admin_page.html", context, error.status if error else 200)


@router.get("/status-pages/{slug}")
def editor(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _editor_page(runtime, request, slug)


PageChange = Callable[[Session, StatusPage, dict[str, str], dict[str, list[str]]], str]


async def page_post(request: Request, runtime: Runtime, principal: Principal, slug: str, form: str,
                    change: PageChange) -> Response:
    values, lists = await read_fields(request)

    def run(db: Session) -> str:
        return change(db, service.lock_page(db=db, slug=slug), values, lists)

    return await post_form(
        request, runtime, principal, form, values, run, then=f"/status-pages/{slug}#{form.split(':')[0]}",
        on_error=lambda error: _editor_page(runtime, request, slug, error=error))


@router.post("/status-pages/{slug}/settings")
async def page_settings(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        team = values.get("team") if principal.actor.is_admin and "team" in values else None
        service.change_page(db=db, actor=principal.actor, page=sp, name=values.get("name", ""),
                            description=values.get("description", ""), listed=checked(values, "listed"), team=team)
        return "Saved the page's settings"

    return await page_post(request, runtime, principal, slug, "settings", change)


@router.post("/status-pages/{slug}/groups")
async def add_group(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        group = service.create_group(db=db, actor=principal.actor, page=sp, name=values.get("name", ""))
        return f"Added the group “{group.name}”"

    return await page_post(request, runtime, principal, slug, "groups", change)


@router.post("/status-pages/{slug}/components")
async def add_component(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        component = service.create_component(db=db, actor=principal.actor, page=sp, name=values.get("name", ""),
                                             description=values.get("description", ""),
                                             group=values.get("group") or None)
        return f"Added the component “{component.name}”"

    return await page_post(request, runtime, principal, slug, "components", change)


@router.post("/status-pages/{slug}/components/{component_id}/state")
async def component_state(request: Request, slug: str, component_id: RowId, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        component, changed = service.set_component_state(db=db, actor=principal.actor, page=sp,
                                                         component_id=component_id, state=values.get("state", ""))
        return f"{component.name}: {component.state.label.lower()}" + ("" if changed else " (unchanged)")

    return await page_post(request, runtime, principal, slug, f"components:{component_id}", change)


@router.post("/status-pages/{slug}/maintenance")
async def schedule(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], lists: dict[str, list[str]]) -> str:
        window = service.schedule_maintenance(
            db=db, actor=principal.actor, page=sp, title=values.get("title", ""), body=values.get("body", ""),
            starts_at=utc_time(values.get("starts_at", ""), "starts_at", "start"),
            ends_at=utc_time(values.get("ends_at", ""), "ends_at", "end"),
            component_ids=ids_of(lists.get("component", []), "components"))
        return f"Scheduled “{window.title}”"

    return await page_post(request, runtime, principal, slug, "maintenance", change)


@router.post("/status-pages/{slug}/maintenance/{maintenance_id}/cancel")
async def cancel(request: Request, slug: str, maintenance_id: RowId, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        window = service.cancel_maintenance(db=db, actor=principal.actor, page=sp, maintenance_id=maintenance_id)
        return f"Cancelled “{window.title}”"

    return await page_post(request, runtime, principal, slug, f"maintenance:{maintenance_id}", change)


@router.post("/status-pages/{slug}/subscribers")
async def add_webhook(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    """The signing secret is shown once, on the page this answers with (never in a redirect's cookie)."""
    values, lists = await read_fields(request)

    def change(db: Session) -> Subscriber:
        sp = service.lock_page(db=db, slug=slug)
        return subscribers.add_webhook(db=db, actor=principal.actor, page=sp, url=values.get("url", ""),
                                       component_ids=ids_of(lists.get("component", []), "components"),
                                       outbound=runtime.outbound)

    return await act_in_pool(
        request, runtime, principal, values, change,
        done=lambda added: _editor_page(runtime, request, slug, created=added),
        refused=lambda error: _editor_page(runtime, request, slug, error=FormError(
            "subscribers", error.message, values, error.status)))


@router.post("/status-pages/{slug}/subscribers/{subscriber_id}/remove")
async def remove_subscriber(request: Request, slug: str, subscriber_id: RowId, runtime: Runtime = Depends(get_runtime),
                            principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, sp: StatusPage, values: dict[str, str], _: dict[str, list[str]]) -> str:
        gone = subscribers.remove_subscriber(db=db, actor=principal.actor, page=sp, subscriber_id=subscriber_id)
        return f"Removed {gone.address}"

    return await page_post(request, runtime, principal, slug, f"subscribers:{subscriber_id}", change)


# The messenger's public updates for one incident --------------------------------------------------------------


def _updates_page(runtime: Runtime, request: Request, ref: str, *, error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        incident = flows.visible_incident(db=db, actor=principal.actor, ref=ref)
        updates = flows.list_updates(db=db, incident_id=incident.id)
        postings = flows.postings_of(db=db, update_ids=[u.id for u in updates if u.state is UpdateState.published])
        targets = [(p, service.list_components(db=db, page_id=p.id))
                   for p in service.editable_pages(db=db, actor=principal.actor)]
        holders = {a.role: u for a, u in roles.holders(db=db, incident_id=incident.id) if a.role in (LEAD, MESSENGER)}
        context: dict[str, Any] = {
            "principal": principal, "incident": incident, "nav": "incidents", "form_error": error,
            "drafts": [u for u in updates if u.state is UpdateState.draft],
            "published": [u for u in updates if u.state is UpdateState.published], "postings": postings,
            "targets": targets, "current": flows.current_states(db=db, incident_id=incident.id),
            "may_publish": flows.may_publish(db=db, actor=principal.actor, incident=incident),
            "messenger": holders.get(MESSENGER), "lead": holders.get(LEAD),
            "can_act": principal.actor.access_role.rank >= AccessRole.responder.rank and not incident.is_archived,
            "statuses": STATUSES, "states": STATES,
            "suggested": flows.public_status_for(incident.status).value,
        }
    return page(runtime, request, "status_updates.html", context, error.status if error else 200)


@router.get("/incidents/{ref}/public-updates")
def public_updates(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _updates_page(runtime, request, ref)


UpdateChange = Callable[[Session, dict[str, str], dict[str, list[str]]], str]


async def update_post(request: Request, runtime: Runtime, principal: Principal, ref: str, form: str,
                      change: UpdateChange) -> Response:
    values, lists = await read_fields(request)
    room = f"INC-{incidents.parse_ref(ref)}"
    return await post_form(
        request, runtime, principal, form, values, lambda db: change(db, values, lists),
        then=f"/incidents/{room}/public-updates#{form.replace(':', '-')}",
        on_error=lambda error: _updates_page(runtime, request, ref, error=error))


@router.post("/incidents/{ref}/public-updates")
async def new_draft(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str], _: dict[str, list[str]]) -> str:
        draft = flows.draft_update(db=db, actor=principal.actor, ref=ref, status=values.get("status") or None)
        return f"Drafted a public update ({draft.status.value}) from the template: edit it, then publish"

    return await update_post(request, runtime, principal, ref, "draft", change)


@router.post("/incidents/{ref}/public-updates/{update_id}")
async def edit_draft(request: Request, ref: str, update_id: RowId, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str], _: dict[str, list[str]]) -> str:
        flows.edit_update(db=db, actor=principal.actor, ref=ref, update_id=update_id, title=values.get("title", ""),
                          status=values.get("status", ""), body=values.get("body", ""))
        return f"Saved draft #{update_id}"

    return await update_post(request, runtime, principal, ref, f"edit:{update_id}", change)


@router.post("/incidents/{ref}/public-updates/{update_id}/publish")
async def publish(request: Request, ref: str, update_id: RowId, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str], lists: dict[str, list[str]]) -> str:
        states = {}
        for key, value in values.items():
            if key.startswith("state-") and value.strip():
                states[ids_of([key.removeprefix("state-")], "components")[0]] = value
        # The draft's fields come with the publish (one form): what is on screen is what is published.
        shown = flows.Shown(values.get("title", ""), values.get("status", ""), values.get("body", "")) if any(
            name in values for name in ("title", "status", "body")) else None
        done = flows.publish_update(db=db, actor=principal.actor, ref=ref, update_id=update_id,
                                    pages=lists.get("page", []), components=states, shown=shown)
        return done.message

    return await update_post(request, runtime, principal, ref, f"publish:{update_id}", change)


@router.post("/incidents/{ref}/public-updates/{update_id}/discard")
async def discard(request: Request, ref: str, update_id: RowId, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, values: dict[str, str], _: dict[str, list[str]]) -> str:
        flows.discard_update(db=db, actor=principal.actor, ref=ref, update_id=update_id)
        return f"Discarded draft #{update_id}"

    return await update_post(request, runtime, principal, ref, f"discard:{update_id}", change)
