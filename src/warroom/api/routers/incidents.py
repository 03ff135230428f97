"""Incidents: list, declare, read, and every handbook step after declaring.

Each mutation is one flow in one transaction (``apply_flow``); reads use the services' joined
queries so an incident's page costs the same number of queries however busy it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, apply_flow, problems
from warroom.checklists import service as checklists
from warroom.core.clock import as_utc
from warroom.core.errors import ValidationFailed
from warroom.dashboard import service as dashboard
from warroom.dashboard.service import IncidentFilters
from warroom.incidents import flows, participants, visibility
from warroom.incidents import queries as incident_queries
from warroom.incidents.models import Severity, Status
from warroom.incidents.schemas import (
    AcknowledgeIn,
    AttachPlaybookIn,
    ChecklistIn,
    ChecklistItemOut,
    CloseIn,
    DeclareIn,
    DetailsIn,
    IncidentDetailOut,
    IncidentOut,
    IncidentPage,
    InviteIn,
    OutcomeOut,
    ParticipantOut,
    ResolveIn,
    RoleIn,
    RoleOut,
    SeverityIn,
    StatusIn,
    SummaryIn,
    UpdateIn,
)
from warroom.playbooks import service as playbooks
from warroom.roles import service as roles
from warroom.roles.models import LEAD
from warroom.runtime import Runtime

router = APIRouter(tags=["incidents"], route_class=JsonBodyRoute)


def incident_filters(
    status: Status | None = None,
    active: Annotated[bool | None, Query(description="Only open (true) or only finished (false).")] = None,
    severity: Severity | None = None,
    lead: Annotated[str | None, Query(description="The incident lead's handle.")] = None,
    declared_from: Annotated[datetime | None, Query(alias="from", description="Declared at or after.")] = None,
    declared_to: Annotated[datetime | None, Query(alias="to", description="Declared before.")] = None,
    false_positive: bool | None = None,
    customer_impact: bool | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Search titles, summaries and room messages.")]
    = None,
) -> IncidentFilters:
    return IncidentFilters(
        status=status, active=active, severity=severity, lead=lead,
        declared_from=as_utc(declared_from) if declared_from else None,
        declared_to=as_utc(declared_to) if declared_to else None,
        false_positive=false_positive, customer_impact=customer_impact, search=q,
    )


@router.get("/incidents", summary="List and search incidents", response_model=IncidentPage,
            responses=problems(401, 403, 422))
def list_incidents(
    filters: IncidentFilters = Depends(incident_filters),
    limit: Limit = 50,
    offset: Offset = 0,
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> IncidentPage:
    base_url = runtime.settings.base_url
    with runtime.database.reading() as db:
        rows, total = dashboard.list_incidents(db=db, filters=filters, limit=limit, offset=offset,
                                               viewer=principal.actor)
        items = [IncidentOut.of(r.incident, lead=r.lead_handle, base_url=base_url) for r in rows]
    return IncidentPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/incidents", summary="Declare an incident", status_code=201, response_model=OutcomeOut,
             responses=WRITES)
def declare_incident(
    body: DeclareIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.declare_incident(
        db=db, actor=actor, title=body.title, severity=body.severity, description=body.description,
        customer_impact=body.customer_impact, security=body.security, suspected=body.suspected,
        affected_services=body.affected_services, external_reporter=body.external_reporter))


@router.get("/incidents/{ref}", summary="An incident with its roles, checklist and playbooks",
            response_model=IncidentDetailOut, responses=problems(401, 403, 404, 422))
def show_incident(
    ref: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)
) -> IncidentDetailOut:
    with runtime.database.reading() as db:
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        holders = roles.holders(db=db, incident_id=incident.id)
        items = checklists.list_items_with_people(db=db, incident_id=incident.id)
        attached = playbooks.attached_playbooks(db=db, incident_id=incident.id)
        return IncidentDetailOut.of_detail(
            incident,
            lead=next((u.handle for a, u in holders if a.role == LEAD), None),
            base_url=runtime.settings.base_url,
            roles=[RoleOut(role=a.role, user=u.handle, assigned_at=a.assigned_at,
                           acknowledged_at=a.acknowledged_at) for a, u in holders],
            checklist=[ChecklistItemOut.of(item, done_by=handle) for item, handle in items],
            playbooks=[p.slug for p in attached],
        )


@router.patch("/incidents/{ref}", summary="Change an incident's details", response_model=OutcomeOut,
              responses=WRITES)
def update_details(
    ref: str, body: DetailsIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.update_details(
        db=db, actor=actor, ref=ref, title=body.title, description=body.description,
        customer_impact=body.customer_impact, security=body.security, suspected=body.suspected,
        affected_services=body.affected_services, external_reporter=body.external_reporter))


@router.post("/incidents/{ref}/roles", summary="Assign a role (lead, messenger, or any other)",
             response_model=OutcomeOut, responses=WRITES)
def assign_role(
    ref: str, body: RoleIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.assign_role(
        db=db, actor=actor, ref=ref, role=body.role, who=body.user))


@router.post("/incidents/{ref}/acknowledge", summary="Acknowledge your role: “I'm on it”",
             response_model=OutcomeOut, responses=WRITES)
def acknowledge(
    ref: str, body: AcknowledgeIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    role = body.role if body is not None else LEAD
    return apply_flow(runtime, principal, lambda db, actor: flows.acknowledge(db=db, actor=actor, ref=ref, role=role))


@router.post("/incidents/{ref}/status", summary="Change the status", response_model=OutcomeOut,
             responses=WRITES)
def set_status(
    ref: str, body: StatusIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.set_status(
        db=db, actor=actor, ref=ref, status=body.status, text=body.text))


@router.put("/incidents/{ref}/summary", summary="Replace the summary", response_model=OutcomeOut,
            responses=WRITES)
def set_summary(
    ref: str, body: SummaryIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.set_summary(
        db=db, actor=actor, ref=ref, summary=body.summary))


@router.post("/incidents/{ref}/updates", summary="Post a status update, a plan, or what was tried",
             response_model=OutcomeOut, responses=WRITES)
def post_update(
    ref: str, body: UpdateIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.post_update(
        db=db, actor=actor, ref=ref, text=body.text, kind=body.kind, result=body.result))


@router.put("/incidents/{ref}/severity", summary="Change the severity", response_model=OutcomeOut,
            responses=WRITES)
def change_severity(
    ref: str, body: SeverityIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.change_severity(
        db=db, actor=actor, ref=ref, severity=body.severity))


@router.post("/incidents/{ref}/resolve", summary="Resolve (optionally as a false positive)",
             response_model=OutcomeOut, responses=WRITES)
def resolve_incident(
    ref: str, body: ResolveIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    choice = body or ResolveIn()
    return apply_flow(runtime, principal, lambda db, actor: flows.resolve_incident(
        db=db, actor=actor, ref=ref, false_positive=choice.false_positive, text=choice.text))


@router.post("/incidents/{ref}/close", summary="Close and archive the room (409 lists open required steps)",
             response_model=OutcomeOut, responses=WRITES)
def close_incident(
    ref: str, body: CloseIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    choice = body or CloseIn()
    if choice.why.strip() and not choice.false_positive:
        raise ValidationFailed("'why' goes with false_positive: true (closing as a false positive); an admin "
                               "closing with open steps gives 'reason'.", field="why")
    if choice.false_positive:
        return apply_flow(runtime, principal, lambda db, actor: flows.close_false_positive(
            db=db, actor=actor, ref=ref, why=choice.why, reason=choice.reason))
    return apply_flow(runtime, principal, lambda db, actor: flows.close_incident(
        db=db, actor=actor, ref=ref, reason=choice.reason))


@router.put("/incidents/{ref}/checklist/{key}", summary="Tick, skip or reopen a checklist step",
            response_model=OutcomeOut, responses=WRITES)
def set_checklist_item(
    ref: str, key: str, body: ChecklistIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.set_checklist_item(
        db=db, actor=actor, ref=ref, key=key, state=body.state, note=body.note))


@router.post("/incidents/{ref}/playbooks", summary="Attach a playbook; its steps join the checklist",
             response_model=OutcomeOut, responses=WRITES)
def attach_playbook(
    ref: str, body: AttachPlaybookIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.attach_playbook(
        db=db, actor=actor, ref=ref, slug=body.slug))


@router.get("/incidents/{ref}/participants", summary="Who takes part: reporter, role holders, people added by name",
            response_model=list[ParticipantOut], responses=problems(401, 403, 404, 422))
def list_participants(
    ref: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)
) -> list[ParticipantOut]:
    with runtime.database.reading() as db:
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        people = visibility.list_participants(db=db, incident=incident)
    return [ParticipantOut(user=p.handle, name=p.name, why=p.why, added_at=p.added_at) for p in people]


@router.post("/incidents/{ref}/participants", summary="Add someone to the incident (how a private one lets people in)",
             response_model=OutcomeOut, responses=WRITES)
def invite(
    ref: str, body: InviteIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: participants.invite(
        db=db, actor=actor, ref=ref, who=body.user))
