"""Alerts: raise (deduplicated on the alias while open), read with their timeline and delivery records,
acknowledge, unacknowledge, close, snooze, note, escalate now, reassign, attach to or declare an incident.

Each change is one transaction; an alert's detail costs the same few queries however much happened to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, apply_flow, problems
from warroom.core.actor import Actor
from warroom.core.clock import as_utc
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.incidents import flows
from warroom.incidents import queries as incident_queries
from warroom.incidents.flows import Outcome
from warroom.incidents.schemas import OutcomeOut
from warroom.oncall import paging
from warroom.oncall.alerts import privacy, queries
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority
from warroom.oncall.alerts.schemas import (
    ActionIn,
    AlertDetailOut,
    AlertEventOut,
    AlertIn,
    AlertOut,
    AlertOutcomeOut,
    AlertPage,
    AttachIn,
    DeclareFromAlertIn,
    DeliveryOut,
    NoteIn,
    RaisedOut,
    ReassignIn,
    ResponderIn,
    SnoozeIn,
)
from warroom.oncall.alerts.service import AlertSpec
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.policies import RESPONDER_KINDS, TargetKind
from warroom.runtime import Runtime

router = APIRouter(tags=["alerts"], route_class=JsonBodyRoute)
ALERT_PATH = "/alerts/{alert}"


# Reading ----------------------------------------------------------------------------------------------


def _out(db: Session, alert: Alert, runtime: Runtime, actor: Actor) -> AlertOut:
    """The alert as this person may read it (an alert of a private incident they cannot see: redacted)."""
    shown = queries.readable(db=db, actor=actor, alert=alert)
    return AlertOut.of(shown.alert, shown.names, runtime.settings.base_url)


@router.get("/alerts", summary="List alerts, newest first", response_model=AlertPage,
            responses=problems(401, 403, 404, 422))
def list_alerts(
    status: Annotated[list[str] | None, Query(description="open, acknowledged or closed; several comma-separated "
                                                          "or repeated.")] = None,
    team: Annotated[str | None, Query(description="Team slug.")] = None,
    incident: Annotated[str | None, Query(description="Incident, e.g. INC-42.")] = None,
    unrouted: Annotated[bool, Query(description="Only alerts Warroom could not route as asked: a responder it "
                                                "does not know, or nothing to page but the catch-all.")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> AlertPage:
    with runtime.database.reading() as db:
        team_id = _team_id(db, team) if team else None
        incident_id = (incident_queries.visible_incident(db=db, actor=principal.actor, ref=incident).id
                       if incident else None)
        listed = queries.list_readable(db=db, actor=principal.actor, status=_statuses(status or []),
                                       team_id=team_id, incident_id=incident_id, unrouted=unrouted, limit=limit,
                                       offset=offset)
        items = [AlertOut.of(a, listed.names, runtime.settings.base_url) for a in listed.rows]
    return AlertPage(items=items, total=listed.total, limit=limit, offset=offset)


def _statuses(values: list[str]) -> list[AlertStatus]:
    words = [w.strip().lower() for value in values for w in value.split(",") if w.strip()]
    unknown = [w for w in words if w not in AlertStatus.__members__]
    if unknown:
        raise ValidationFailed(f"Unknown alert status '{unknown[0]}'. Use open, acknowledged or closed.",
                               field="status")
    return [AlertStatus(w) for w in words]


def _team_id(db: Session, slug: str) -> int:
    found = accounts.find_team(db=db, name=slug)
    if found is None:
        raise NotFound(f"No team '{slug}'. Use a team slug, e.g. customer-support.", field="team")
    return found.id


@router.get(ALERT_PATH, summary="An alert with its timeline and delivery records", response_model=AlertDetailOut,
            responses=problems(401, 403, 404, 422))
def show_alert(
    alert: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)
) -> AlertDetailOut:
    with runtime.database.reading() as db:
        shown = queries.readable(db=db, actor=principal.actor, alert=alerts.find_alert(db=db, identifier=alert))
        head = AlertOut.of(shown.alert, shown.names, runtime.settings.base_url)
        events = [AlertEventOut.of(e) for e in queries.timeline(db=db, alert_id=shown.alert.id,
                                                                private=shown.private)]
        deliveries = [DeliveryOut.of(r) for r in queries.deliveries(db=db, alert_id=shown.alert.id,
                                                                    private=shown.private)]
        return AlertDetailOut(**head.model_dump(), events=events, deliveries=deliveries)


# Raising ----------------------------------------------------------------------------------------------


def _responders(db: Session, items: Sequence[ResponderIn]) -> tuple[list[dict[str, object]], int | None, int | None]:
    """The stored responders, the team the alert belongs to, and the policy it runs directly (if any)."""
    found = [policies.find_target(db=db, kind=r.type, ref=r.id, allowed=RESPONDER_KINDS, field="responders",
                                  where=f"Responder {n}: ") for n, r in enumerate(items, start=1)]
    chosen = [t for t in found if t.type is TargetKind.escalation]
    if chosen and len(found) > 1:
        raise ValidationFailed("Page an escalation policy alone: it names everyone it pages.", field="responders")
    team = next((t.id for t in found if t.type is TargetKind.team), None)
    if chosen:
        return [], None, chosen[0].id
    return [t.stored() for t in found], team, None


def _spec(db: Session, body: AlertIn, actor: Actor) -> AlertSpec:
    if bool(body.responders) == bool(body.for_):
        raise ValidationFailed("Say who to page: 'for' (a team, @handle or email) or 'responders', one of them.",
                               field="for")
    incident = incident_queries.visible_incident(db=db, actor=actor, ref=body.incident) if body.incident else None
    if body.for_:
        target = paging.find_target(db=db, target=body.for_)
        responders, team_id, policy_id = list(target.responders), target.team_id, None
    else:
        responders, team_id, policy_id = _responders(db, body.responders)
    priority = (alerts.parse_priority(body.priority) if body.priority
                else paging.SEVERITY_PRIORITY[incident.severity] if incident else Priority.p3)
    return AlertSpec(message=body.message, alias=body.alias, description=body.description, priority=priority,
                     source="api", entity="", tags=list(body.tags), details=dict(body.details),
                     responders=responders, team_id=team_id, escalation_policy_id=policy_id,
                     incident_id=incident.id if incident else None)


@router.post("/alerts", summary="Raise an alert (201), or count a duplicate of the open one with its alias (200)",
             status_code=201, response_model=RaisedOut, responses=WRITES)
def create_alert(
    body: AlertIn, response: Response, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> RaisedOut:
    with runtime.database.writing() as db:
        raised = alerts.raise_alert(db=db, actor=principal.actor, spec=_spec(db, body, principal.actor))
        alert = alerts.find_alert(db=db, identifier=str(raised.alert_id))
        out = _out(db, alert, runtime, principal.actor)
    if raised.created:
        message = f"Opened alert #{alert.id}: {out.message}"
    else:
        response.status_code = 200
        message = f"Alert #{alert.id} is already open; counted {raised.count} times"
    return RaisedOut(message=message, created=raised.created, count=raised.count, alert=out)


# Acting on an alert -----------------------------------------------------------------------------------

Act = Callable[[Session, Actor, Alert], str]


def _act(runtime: Runtime, principal: Principal, ref: str, act: Act) -> AlertOutcomeOut:
    """Find the alert, run one change on it in one transaction, answer with what it did and the alert now."""
    with runtime.database.writing() as db:
        alert = alerts.find_alert(db=db, identifier=ref)
        message = act(db, principal.actor, alert)
        return AlertOutcomeOut(message=message, alert=_out(db, alert, runtime, principal.actor))


@router.post(f"{ALERT_PATH}/acknowledge", summary="Acknowledge: “I'm on it” (stops escalation)",
             response_model=AlertOutcomeOut, responses=WRITES)
def acknowledge_alert(
    alert: str, body: ActionIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    note = body.note if body else ""

    def act(db: Session, actor: Actor, found: Alert) -> str:
        already = found.status is AlertStatus.acknowledged
        alerts.acknowledge(db=db, actor=actor, alert_id=found.id, note=note)
        return f"Alert #{found.id} was already acknowledged" if already else f"Acknowledged alert #{found.id}"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/unacknowledge", summary="Hand an alert back: escalation starts again",
             response_model=AlertOutcomeOut, responses=WRITES)
def unacknowledge_alert(
    alert: str, body: ActionIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    note = body.note if body else ""

    def act(db: Session, actor: Actor, found: Alert) -> str:
        alerts.unacknowledge(db=db, actor=actor, alert_id=found.id, note=note)
        return f"Alert #{found.id} is open again; escalation restarts"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/close", summary="Close an alert", response_model=AlertOutcomeOut, responses=WRITES)
def close_alert(
    alert: str, body: ActionIn | None = None, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    note = body.note if body else ""

    def act(db: Session, actor: Actor, found: Alert) -> str:
        already = found.status is AlertStatus.closed
        alerts.close(db=db, actor=actor, alert_id=found.id, note=note)
        return f"Alert #{found.id} was already closed" if already else f"Closed alert #{found.id}"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/snooze", summary="Quiet an alert until a time (escalation resumes then)",
             response_model=AlertOutcomeOut, responses=WRITES)
def snooze_alert(
    alert: str, body: SnoozeIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    if (body.until is None) == (body.minutes is None):
        raise ValidationFailed("Say how long: 'until' (a time) or 'minutes', one of them.", field="until")

    def act(db: Session, actor: Actor, found: Alert) -> str:
        if body.until is not None:
            until = as_utc(body.until)
        elif body.minutes is not None and 0 < body.minutes <= 7 * 24 * 60:
            until = actor.clock.now() + timedelta(minutes=body.minutes)
        else:
            raise ValidationFailed("Snooze for 1 to 10080 minutes (7 days).", field="minutes")
        alerts.snooze(db=db, actor=actor, alert_id=found.id, until=until, note=body.note)
        return f"Snoozed alert #{found.id} until {until:%Y-%m-%d %H:%M} UTC"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/notes", summary="Add a note to an alert's timeline", response_model=AlertOutcomeOut,
             responses=WRITES)
def add_alert_note(
    alert: str, body: NoteIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    def act(db: Session, actor: Actor, found: Alert) -> str:
        alerts.add_note(db=db, actor=actor, alert_id=found.id, note=body.note)
        return f"Note added to alert #{found.id}"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/escalate", summary="Escalate now: run the next step without waiting",
             response_model=AlertOutcomeOut, responses=WRITES)
def escalate_alert(
    alert: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    def act(db: Session, actor: Actor, found: Alert) -> str:
        alerts.escalate_now(db=db, actor=actor, alert_id=found.id)
        return f"Escalating alert #{found.id} now"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/reassign", summary="Page someone else instead (escalation restarts for them)",
             response_model=AlertOutcomeOut, responses=WRITES)
def reassign_alert(
    alert: str, body: ReassignIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    def act(db: Session, actor: Actor, found: Alert) -> str:
        target = paging.find_target(db=db, target=body.to)
        alerts.reassign(db=db, actor=actor, alert_id=found.id, responders=target.responders, label=target.label)
        return f"Reassigned alert #{found.id} to {target.label}"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/incident", summary="Attach an alert to an incident", response_model=AlertOutcomeOut,
             responses=WRITES)
def attach_alert(
    alert: str, body: AttachIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer),
) -> AlertOutcomeOut:
    def act(db: Session, actor: Actor, found: Alert) -> str:
        incident = incident_queries.visible_incident(db=db, actor=actor, ref=body.incident)
        alerts.attach_to_incident(db=db, actor=actor, alert_id=found.id, incident_id=incident.id)
        return f"Attached alert #{found.id} to {incident.ref}"

    return _act(runtime, principal, alert, act)


@router.post(f"{ALERT_PATH}/declare", summary="Declare an incident from an alert (the alert joins it)",
             status_code=201, response_model=OutcomeOut, responses=WRITES)
def declare_from_alert(
    alert: str, body: DeclareFromAlertIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> OutcomeOut:
    def flow(db: Session, actor: Actor) -> Outcome:
        found = alerts.find_alert(db=db, identifier=alert)
        if found.incident_id is not None:
            # One alert belongs to one incident; declaring again would leave the first without it.
            raise Conflict(f"Alert #{found.id} is already part of {privacy.incident_label(db, actor, found)}.",
                           field="alert")
        outcome = flows.declare_incident(db=db, actor=actor, title=body.title or found.message,
                                         severity=body.severity, description=found.description)
        alerts.attach_to_incident(db=db, actor=actor, alert_id=found.id, incident_id=outcome.incident.id)
        outcome.data["alert_id"] = found.id
        return outcome

    return apply_flow(runtime, principal, flow)
