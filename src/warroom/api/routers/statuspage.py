"""Status pages and the messenger's public updates through the API.

The public pages themselves (HTML, JSON, RSS, Atom) are served without credentials at /status/<slug>;
these routes are for the people who keep them.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.core.bounds import RowId
from warroom.core.errors import ValidationFailed
from warroom.runtime import Runtime
from warroom.statuspage import flows, service, subscribers
from warroom.statuspage.models import PublicUpdate, StatusPage, UpdateState
from warroom.statuspage.schemas import (
    ComponentChangeIn,
    ComponentIn,
    ComponentOut,
    ComponentStateIn,
    DraftChangeIn,
    DraftIn,
    GroupIn,
    GroupOut,
    MaintenanceIn,
    MaintenanceOut,
    PageChangeIn,
    PageDetailOut,
    PageIn,
    PageOut,
    PostingOut,
    PublicUpdateOut,
    PublishIn,
    PublishOut,
    SubscriberOut,
    TemplateIn,
    TemplateOut,
    WebhookSubscriberIn,
    WebhookSubscriberOut,
)

router = APIRouter(tags=["status pages"], route_class=JsonBodyRoute)
READS = problems(401, 403, 404, 422)


def page_out(db: Session, page: StatusPage, base_url: str) -> PageOut:
    team = service.editor_team(db=db, page=page)
    return PageOut.of(page, team=team.slug if team else None, base_url=base_url)


def component_out(db: Session, page: StatusPage, component_id: int) -> ComponentOut:
    groups = {g.id: g.name for g in service.list_groups(db=db, page_id=page.id)}
    return ComponentOut.of(service.page_component(db=db, page=page, component_id=component_id), groups)


# Pages ------------------------------------------------------------------------------------------------------


@router.get("/status-pages", summary="List status pages", response_model=list[PageOut],
            responses=problems(401, 403))
def list_status_pages(runtime: Runtime = Depends(get_runtime), _p: Principal = Depends(reader)) -> list[PageOut]:
    with runtime.database.reading() as db:
        return [page_out(db, p, runtime.settings.base_url) for p in service.list_pages(db=db)]


@router.post("/status-pages", summary="Create a status page (admins)", status_code=201, response_model=PageOut,
             responses=WRITES)
def create_status_page(body: PageIn, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> PageOut:
    with runtime.database.writing() as db:
        page = service.create_page(db=db, actor=principal.actor, slug=body.slug, name=body.name,
                                   description=body.description, team=body.team, listed=body.listed)
        return page_out(db, page, runtime.settings.base_url)


# Declared before /status-pages/{slug}: "templates" is not a page (the slug is reserved).
@router.get("/status-pages/templates", summary="The public update templates, one per status",
            response_model=list[TemplateOut], responses=problems(401, 403))
def list_update_templates(runtime: Runtime = Depends(get_runtime),
                          _p: Principal = Depends(reader)) -> list[TemplateOut]:
    with runtime.database.reading() as db:
        return [TemplateOut.of(t) for t in service.list_templates(db=db)]


@router.put("/status-pages/templates/{status}", summary="Reword the template for a status",
            response_model=TemplateOut, responses=WRITES)
def save_update_template(status: str, body: TemplateIn, runtime: Runtime = Depends(get_runtime),
                         principal: Principal = Depends(writer)) -> TemplateOut:
    with runtime.database.writing() as db:
        return TemplateOut.of(service.save_template(db=db, actor=principal.actor, status=status, title=body.title,
                                                    body=body.body))


@router.delete("/status-pages/templates/{status}", summary="Go back to the built-in template for a status",
               response_model=TemplateOut, responses=WRITES)
def reset_update_template(status: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(writer)) -> TemplateOut:
    with runtime.database.writing() as db:
        return TemplateOut.of(service.reset_template(db=db, actor=principal.actor, status=status))


@router.get("/status-pages/{slug}", summary="A status page with its groups and components",
            response_model=PageDetailOut, responses=READS)
def show_status_page(slug: str, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(reader)) -> PageDetailOut:
    with runtime.database.reading() as db:
        page = service.get_page(db=db, slug=slug)
        groups = service.list_groups(db=db, page_id=page.id)
        names = {g.id: g.name for g in groups}
        base = page_out(db, page, runtime.settings.base_url)
        return PageDetailOut(
            **base.model_dump(), may_edit=service.may_edit(db=db, actor=principal.actor, page=page),
            groups=[GroupOut.of(g) for g in groups],
            components=[ComponentOut.of(c, names) for c in service.list_components(db=db, page_id=page.id)])


@router.patch("/status-pages/{slug}", summary="Change a status page's name, description, team or listing",
              response_model=PageOut, responses=WRITES)
def change_status_page(slug: str, body: PageChangeIn, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> PageOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        service.change_page(db=db, actor=principal.actor, page=page, name=body.name, description=body.description,
                            team=body.team, listed=body.listed)
        return page_out(db, page, runtime.settings.base_url)


# Groups and components -----------------------------------------------------------------------------------------


@router.post("/status-pages/{slug}/groups", summary="Add a component group", status_code=201,
             response_model=GroupOut, responses=WRITES)
def create_status_component_group(slug: str, body: GroupIn, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(writer)) -> GroupOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        return GroupOut.of(service.create_group(db=db, actor=principal.actor, page=page, name=body.name))


@router.post("/status-pages/{slug}/components", summary="Add a component", status_code=201,
             response_model=ComponentOut, responses=WRITES)
def create_status_component(slug: str, body: ComponentIn, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(writer)) -> ComponentOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        component = service.create_component(db=db, actor=principal.actor, page=page, name=body.name,
                                             description=body.description, group=body.group)
        return component_out(db, page, component.id)


@router.patch("/status-pages/{slug}/components/{component_id}", summary="Rename, describe or regroup a component",
              response_model=ComponentOut, responses=WRITES)
def change_status_component(slug: str, component_id: RowId, body: ComponentChangeIn,
                            runtime: Runtime = Depends(get_runtime),
                            principal: Principal = Depends(writer)) -> ComponentOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        service.change_component(db=db, actor=principal.actor, page=page, component_id=component_id,
                                 name=body.name, description=body.description, group=body.group)
        return component_out(db, page, component_id)


@router.put("/status-pages/{slug}/components/{component_id}/state", summary="Set a component's state by hand",
            response_model=ComponentOut, responses=WRITES)
def set_status_component_state(slug: str, component_id: RowId, body: ComponentStateIn,
                               runtime: Runtime = Depends(get_runtime),
                               principal: Principal = Depends(writer)) -> ComponentOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        service.set_component_state(db=db, actor=principal.actor, page=page, component_id=component_id,
                                    state=body.state)
        return component_out(db, page, component_id)


# Maintenance --------------------------------------------------------------------------------------------------


@router.get("/status-pages/{slug}/maintenances", summary="Maintenance windows not yet over",
            response_model=list[MaintenanceOut], responses=READS)
def list_status_maintenances(slug: str, runtime: Runtime = Depends(get_runtime),
                      _p: Principal = Depends(reader)) -> list[MaintenanceOut]:
    with runtime.database.reading() as db:
        page = service.get_page(db=db, slug=slug)
        return [MaintenanceOut.of(w) for w in service.list_maintenances(db=db, page_id=page.id,
                                                                         since=runtime.clock.now())]


@router.post("/status-pages/{slug}/maintenances", summary="Schedule maintenance", status_code=201,
             response_model=MaintenanceOut, responses=WRITES)
def schedule_status_maintenance(slug: str, body: MaintenanceIn, runtime: Runtime = Depends(get_runtime),
                         principal: Principal = Depends(writer)) -> MaintenanceOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        window = service.schedule_maintenance(db=db, actor=principal.actor, page=page, title=body.title,
                                              body=body.body, starts_at=body.starts_at, ends_at=body.ends_at,
                                              component_ids=body.components)
        return MaintenanceOut(id=window.id, title=window.title, body=window.body, starts_at=window.starts_at,
                              ends_at=window.ends_at, cancelled_at=None, components=sorted(set(body.components)))


@router.post("/status-pages/{slug}/maintenances/{maintenance_id}/cancel", summary="Cancel maintenance",
             response_model=MaintenanceOut, responses=WRITES)
def cancel_status_maintenance(slug: str, maintenance_id: RowId, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> MaintenanceOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        service.cancel_maintenance(db=db, actor=principal.actor, page=page, maintenance_id=maintenance_id)
        found = service.list_maintenances(db=db, page_id=page.id)
        return MaintenanceOut.of(next(w for w in found if w.maintenance.id == maintenance_id))


# Subscribers --------------------------------------------------------------------------------------------------


@router.get("/status-pages/{slug}/subscribers", summary="A page's subscribers (its editors)",
            response_model=list[SubscriberOut], responses=READS)
def list_status_subscribers(slug: str, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(reader)) -> list[SubscriberOut]:
    with runtime.database.reading() as db:
        page = service.get_page(db=db, slug=slug)
        service.require_editor(db=db, actor=principal.actor, page=page)
        return [SubscriberOut.of(s) for s in subscribers.list_subscribers(db=db, page_id=page.id)]


@router.post("/status-pages/{slug}/subscribers", summary="Add a webhook subscriber", status_code=201,
             response_model=WebhookSubscriberOut, responses=WRITES)
def add_webhook_subscriber(slug: str, body: WebhookSubscriberIn, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(writer)) -> WebhookSubscriberOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        added = subscribers.add_webhook(db=db, actor=principal.actor, page=page, url=body.url,
                                        component_ids=body.components, outbound=runtime.outbound)
        return WebhookSubscriberOut(**SubscriberOut.of(added).model_dump(), secret=added.secret)


@router.delete("/status-pages/{slug}/subscribers/{subscriber_id}", summary="Remove a subscriber",
               response_model=SubscriberOut, responses=WRITES)
def remove_status_subscriber(slug: str, subscriber_id: RowId, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(writer)) -> SubscriberOut:
    with runtime.database.writing() as db:
        page = service.lock_page(db=db, slug=slug)
        return SubscriberOut.of(subscribers.remove_subscriber(db=db, actor=principal.actor, page=page,
                                                              subscriber_id=subscriber_id))


# Public updates ------------------------------------------------------------------------------------------------


def update_out(db: Session, update: PublicUpdate, ref: str) -> PublicUpdateOut:
    postings = flows.postings_of(db=db, update_ids=[update.id]) if update.state is UpdateState.published else {}
    pages = [PostingOut(page=page.slug, public_incident_id=posting.public_incident_id,
                        components=list(posting.affected)) for posting, page in postings.get(update.id, [])]
    return PublicUpdateOut.of(update, ref=ref, pages=pages)


@router.get("/incidents/{ref}/public-updates", summary="An incident's public updates (drafts and published)",
            response_model=list[PublicUpdateOut], responses=READS)
def list_public_updates(ref: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(reader)) -> list[PublicUpdateOut]:
    with runtime.database.reading() as db:
        incident = flows.visible_incident(db=db, actor=principal.actor, ref=ref)
        return [update_out(db, u, incident.ref) for u in flows.list_updates(db=db, incident_id=incident.id)]


@router.post("/incidents/{ref}/public-updates", summary="Draft a public update (from the status's template)",
             status_code=201, response_model=PublicUpdateOut, responses=WRITES)
def draft_public_update(ref: str, body: DraftIn, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(writer)) -> PublicUpdateOut:
    with runtime.database.writing() as db:
        update = flows.draft_update(db=db, actor=principal.actor, ref=ref, status=body.status, title=body.title,
                                    body=body.body)
        return update_out(db, update, f"INC-{update.incident_id}")


@router.patch("/incidents/{ref}/public-updates/{update_id}", summary="Edit a draft public update",
              response_model=PublicUpdateOut, responses=WRITES)
def edit_public_update(ref: str, update_id: RowId, body: DraftChangeIn, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> PublicUpdateOut:
    with runtime.database.writing() as db:
        update = flows.edit_update(db=db, actor=principal.actor, ref=ref, update_id=update_id, title=body.title,
                                   status=body.status, body=body.body)
        return update_out(db, update, f"INC-{update.incident_id}")


@router.delete("/incidents/{ref}/public-updates/{update_id}", summary="Discard a draft public update",
               response_model=PublicUpdateOut, responses=WRITES)
def discard_public_update(ref: str, update_id: RowId, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(writer)) -> PublicUpdateOut:
    with runtime.database.writing() as db:
        update = flows.discard_update(db=db, actor=principal.actor, ref=ref, update_id=update_id)
        return update_out(db, update, f"INC-{update.incident_id}")


@router.post("/incidents/{ref}/public-updates/{update_id}/publish",
             summary="Publish a draft to status pages, with the affected components' states",
             response_model=PublishOut, responses=WRITES)
def publish_public_update(ref: str, update_id: RowId, body: PublishIn, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(writer)) -> PublishOut:
    components: dict[int, str] = {}
    for item in body.components:
        if item.id in components:
            raise ValidationFailed(f"Component #{item.id} is named twice; give each component one state.",
                                   field="components")
        components[item.id] = item.state
    with runtime.database.writing() as db:
        done = flows.publish_update(db=db, actor=principal.actor, ref=ref, update_id=update_id, pages=body.pages,
                                    components=components)
        return PublishOut(update=update_out(db, done.update, f"INC-{done.update.incident_id}"),
                          deliveries=done.deliveries, message=done.message)
