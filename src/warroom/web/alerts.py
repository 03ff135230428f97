"""Alerts: the open / acknowledged / closed lists, live; one alert with its timeline and delivery records,
live; and every action on it (acknowledge, unacknowledge, close, snooze, note, escalate now, reassign,
attach to an incident, declare an incident from it).

Links in notification mails point at ``/alerts/{id}/acknowledge``. Mail scanners open links, so a GET there
only asks; the POST from its button acknowledges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.core.actor import Actor
from warroom.core.bounds import RowId, is_count
from warroom.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed, WarroomError
from warroom.incidents import flows
from warroom.incidents import service as incidents
from warroom.oncall import paging
from warroom.oncall.alerts import privacy, queries
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.events import alert_channel
from warroom.oncall.alerts.models import Alert, AlertStatus
from warroom.oncall.alerts.service import ALERTS
from warroom.runtime import Runtime
from warroom.web import alert_views
from warroom.web.auth import can_act, principal_in, reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, read_form
from warroom.web.live import BATCH, Event, Reader, event_stream, start_id, stream
from warroom.web.oncall_view import local_input, page_targets, parse_moment
from warroom.web.templating import STATIC, Flash, page, redirect, render

router = APIRouter(include_in_schema=False)

SNOOZE_CHOICES = ((15, "15 minutes"), (30, "30 minutes"), (60, "1 hour"), (120, "2 hours"), (240, "4 hours"),
                  (480, "8 hours"), (1440, "1 day"))


def script_url() -> str:
    """The on-call pages' script (live lists and alerts), versioned by its content so browsers fetch a new one."""
    path = STATIC / "oncall.js"
    body = path.read_bytes() if path.exists() else b""
    return f"/static/oncall.js?v={hashlib.sha256(body).hexdigest()[:10]}"


SCRIPT = script_url()


# The lists ---------------------------------------------------------------------------------------------------


def _number(text: str) -> int:
    return int(text) if is_count(text) and int(text) > 0 else 1


@router.get("/alerts")
def alert_list(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    tab = alert_views.parse_tab(request.query_params.get("status", ""))
    number = _number(request.query_params.get("page", ""))
    unrouted = alert_views.parse_unrouted(request.query_params.get("unrouted", ""))
    with reading_as(request) as (db, principal):
        shown = alert_views.list_page(db, tab, number, principal.actor, unrouted)
    return page(runtime, request, "alerts.html", {
        "principal": principal, "shown": shown, "script": SCRIPT, "nav": "alerts"})


def _signed_in(runtime: Runtime, request: Request) -> Principal:
    with runtime.database.reading() as db:
        principal = principal_in(db, runtime, request)
    if principal is None:
        raise NotAuthenticated("Sign in to follow alerts.")
    return principal


def list_reader(runtime: Runtime, principal: Principal, tab: AlertStatus, number: int,
                unrouted: bool = False) -> Reader:
    """Re-render the list whenever any alert changed; the first read always sends (the page may be stale)."""
    seen: list[tuple[Any, ...]] = []

    def read(after: int) -> tuple[list[Event], int]:
        with runtime.database.reading() as db:
            signature = alert_views.list_signature(db)
            if seen and seen[-1] == signature:
                return [], after
            shown = alert_views.list_page(db, tab, number, principal.actor, unrouted)
            html = render("alerts_list.html", shown=shown, principal=principal)
        seen[:] = [signature]
        return [Event(signature[0], "alerts", html)], signature[0]

    return read


@router.get("/alerts/events")
async def alert_list_events(request: Request, runtime: Runtime = Depends(get_runtime)) -> StreamingResponse:
    principal = await anyio.to_thread.run_sync(_signed_in, runtime, request)
    tab = alert_views.parse_tab(request.query_params.get("status", ""))
    read = list_reader(runtime, principal, tab, _number(request.query_params.get("page", "")),
                       alert_views.parse_unrouted(request.query_params.get("unrouted", "")))
    return event_stream(stream(request, ALERTS, start_id(request) or 0, read))


# One alert ---------------------------------------------------------------------------------------------------


def alert_context(db: Session, principal: Principal, alert_id: int) -> dict[str, Any]:
    shown = alert_views.detail(db, alert_id, principal.actor)
    return {"principal": principal, "shown": shown, "alert": shown.alert, "can_act": can_act(principal)}


def _alert_page(runtime: Runtime, request: Request, alert_id: int, *, error: FormError | None = None) -> Response:
    now = runtime.clock.now()
    with reading_as(request) as (db, principal):
        context = alert_context(db, principal, alert_id)
        private = context["shown"].private
        events = alert_views.events_after(db, alert_id, private=private)
        deliveries = queries.deliveries(db=db, alert_id=alert_id, private=private)
        targets = page_targets(db)
    context.update({
        "events": events, "deliveries": deliveries, "targets": targets, "snooze_choices": SNOOZE_CHOICES,
        "snooze_until": local_input(now + timedelta(hours=1), "UTC"), "form_error": error, "script": SCRIPT,
        "last_event": events[-1].id if events else 0, "nav": "alerts",
    })
    return page(runtime, request, "alert.html", context, error.status if error else 200)


@router.get("/alerts/{alert_id}")
def alert_view(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _alert_page(runtime, request, alert_id)


def alert_reader(runtime: Runtime, principal: Principal, alert_id: int) -> Reader:
    """New timeline events as they happen, and the alert's state and delivery records when they change."""
    seen: dict[str, Any] = {}

    def read(after: int) -> tuple[list[Event], int]:
        with runtime.database.reading() as db:
            context = alert_context(db, principal, alert_id)
            private = context["shown"].private
            fresh = alert_views.events_after(db, alert_id, after, BATCH, private=private)
            found = queries.deliveries(db=db, alert_id=alert_id, private=private)
            state = alert_views.state_signature(context["alert"])
            sent = alert_views.delivery_signature(found)
            events = [Event(e.id, "entry", render("alert_event.html", e=e)) for e in fresh]
            if fresh or seen.get("state") != state:
                events.append(Event(None, "state", render("alert_state.html", **context)))
            if seen.get("deliveries") != sent:
                events.append(Event(None, "deliveries", render("alert_deliveries.html", deliveries=found)))
        seen.update(state=state, deliveries=sent)
        return events, (fresh[-1].id if fresh else after)

    return read


def _exists(runtime: Runtime, alert_id: int) -> None:
    with runtime.database.reading() as db:
        if db.get(Alert, alert_id) is None:
            raise NotFound(f"No alert #{alert_id}.", field="alert")


@router.get("/alerts/{alert_id}/events")
async def alert_events(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime)) -> StreamingResponse:
    principal = await anyio.to_thread.run_sync(_signed_in, runtime, request)
    await anyio.to_thread.run_sync(_exists, runtime, alert_id)  # a 404 before the stream starts
    read = alert_reader(runtime, principal, alert_id)
    return event_stream(stream(request, alert_channel(alert_id), start_id(request) or 0, read))


@router.get("/alerts/{alert_id}/acknowledge")
def acknowledge_confirm(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime)) -> Response:
    """Asks, never acts: mail scanners follow links."""
    with reading_as(request) as (db, principal):
        context = alert_context(db, principal, alert_id)
    context["nav"] = "alerts"
    return page(runtime, request, "alert_ack.html", context)


# Actions -----------------------------------------------------------------------------------------------------

# A change: given the form, do it; say what was done, any warnings, and where to go next ("" for the alert).
Change = Callable[[Session, Actor, dict[str, str]], tuple[str, list[str], str]]


async def alert_post(request: Request, runtime: Runtime, principal: Principal, alert_id: int, form: str,
                     change: Change) -> Response:
    """CSRF, one transaction, then back to the alert (or where the change leads) with what it did."""
    values = await read_form(request)

    def run(db: Session) -> tuple[str, list[str], str]:
        alerts.find_alert(db=db, identifier=str(alert_id))  # a missing alert is a 404, not a form error
        return change(db, principal.actor, values)

    def refused(error: WarroomError) -> Response:
        if error.status == 404 and error.field == "identifier":
            raise error
        return _alert_page(runtime, request, alert_id, error=FormError(form, error.message, values, error.status))

    return await act_in_pool(
        request, runtime, principal, values, run,
        done=lambda did: redirect(runtime, did[2] or f"/alerts/{alert_id}", Flash(did[0], did[1])), refused=refused)


def _note(values: dict[str, str]) -> str:
    return values.get("note", "")


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        found = alerts.find_alert(db=db, identifier=str(alert_id))
        already = found.status is AlertStatus.acknowledged
        alerts.acknowledge(db=db, actor=actor, alert_id=alert_id, note=_note(values))
        return (f"Alert #{alert_id} was already acknowledged" if already
                else f"Acknowledged alert #{alert_id}: escalation stopped"), [], ""

    return await alert_post(request, runtime, principal, alert_id, "ack", change)


@router.post("/alerts/{alert_id}/unacknowledge")
async def unacknowledge(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        alerts.unacknowledge(db=db, actor=actor, alert_id=alert_id, note=_note(values))
        return f"Alert #{alert_id} is open again; escalation restarts", [], ""

    return await alert_post(request, runtime, principal, alert_id, "unack", change)


@router.post("/alerts/{alert_id}/close")
async def close(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        found = alerts.find_alert(db=db, identifier=str(alert_id))
        already = found.status is AlertStatus.closed
        alerts.close(db=db, actor=actor, alert_id=alert_id, note=_note(values))
        return (f"Alert #{alert_id} was already closed" if already else f"Closed alert #{alert_id}"), [], ""

    return await alert_post(request, runtime, principal, alert_id, "close", change)


@router.post("/alerts/{alert_id}/snooze")
async def snooze(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        choice = values.get("for", "").strip()
        if choice in ("other", "until"):  # "other": the page's "Until a time…" choice
            until = parse_moment(values.get("until", ""), "UTC", "until")
        elif is_count(choice):
            until = actor.clock.now() + timedelta(minutes=int(choice))
        else:
            raise ValidationFailed("Choose how long to snooze, or a time until which to snooze.", field="for")
        alerts.snooze(db=db, actor=actor, alert_id=alert_id, until=until, note=_note(values))
        return f"Snoozed alert #{alert_id} until {until:%Y-%m-%d %H:%M} UTC", [], ""

    return await alert_post(request, runtime, principal, alert_id, "snooze", change)


@router.post("/alerts/{alert_id}/notes")
async def add_note(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        alerts.add_note(db=db, actor=actor, alert_id=alert_id, note=_note(values))
        return f"Note added to alert #{alert_id}", [], ""

    return await alert_post(request, runtime, principal, alert_id, "note", change)


@router.post("/alerts/{alert_id}/escalate")
async def escalate_now(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        alerts.escalate_now(db=db, actor=actor, alert_id=alert_id)
        return f"Escalating alert #{alert_id} now: the next step pages without waiting", [], ""

    return await alert_post(request, runtime, principal, alert_id, "escalate", change)


@router.post("/alerts/{alert_id}/reassign")
async def reassign(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        target = paging.find_target(db=db, target=values.get("to", ""))
        alerts.reassign(db=db, actor=actor, alert_id=alert_id, responders=target.responders, label=target.label)
        return f"Reassigned alert #{alert_id} to {target.label}; paging them now", [], ""

    return await alert_post(request, runtime, principal, alert_id, "reassign", change)


@router.post("/alerts/{alert_id}/incident")
async def attach(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        ref = values.get("incident", "").strip()
        if not ref:
            raise ValidationFailed("Name the incident, e.g. INC-42.", field="incident")
        incident = incidents.get_incident(db=db, ref=ref)
        alerts.attach_to_incident(db=db, actor=actor, alert_id=alert_id, incident_id=incident.id)
        return f"Attached alert #{alert_id} to {incident.ref}", [], ""

    return await alert_post(request, runtime, principal, alert_id, "attach", change)


@router.post("/alerts/{alert_id}/declare")
async def declare(request: Request, alert_id: RowId, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    """Declare an incident from the alert (the same flow as every other door); the alert joins it."""

    def change(db: Session, actor: Actor, values: dict[str, str]) -> tuple[str, list[str], str]:
        found = alerts.find_alert(db=db, identifier=str(alert_id))
        if found.incident_id is not None:
            raise Conflict(f"Alert #{found.id} is already part of {privacy.incident_label(db, actor, found)}.",
                           field="alert")
        outcome = flows.declare_incident(db=db, actor=actor, title=values.get("title", "").strip() or found.message,
                                         severity=values.get("severity", ""), description=found.description)
        alerts.attach_to_incident(db=db, actor=actor, alert_id=found.id, incident_id=outcome.incident.id)
        return (f"{outcome.message} Alert #{found.id} is part of it.", list(outcome.warnings),
                f"/incidents/{outcome.incident.ref}")

    return await alert_post(request, runtime, principal, alert_id, "declare", change)
