"""Declare an incident, and its room: timeline, composer, side panel and every form in it.

Each form posts to its own route, which calls one flow (the same flows the API, CLI and chat
use). Without JavaScript a post answers with a redirect back to the room (or the room again
with the error beside the form); the page script posts the same forms with fetch and gets JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.announcement_days import service as announcement_days
from warroom.api.deps import Principal, get_runtime
from warroom.commands.language import COMMAND_WORDS, misspelt_command
from warroom.commands.runner import run_command
from warroom.core.actor import Actor
from warroom.core.bounds import Count, RowId
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.incidents import flows, participants
from warroom.incidents import queries as incident_queries
from warroom.incidents import service as incidents
from warroom.playbooks import service as playbooks
from warroom.runtime import Runtime
from warroom.timeline import service as timeline_service
from warroom.web.auth import can_act, reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, read_form
from warroom.web.room import load_panel, load_timeline
from warroom.web.templating import Flash, html_fragment, json_reply, page, redirect, render, wants_json

router = APIRouter(include_in_schema=False)


@dataclass
class Done:
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    link: str = ""  # a room other than this one, e.g. one a command just declared


Change = Callable[[Session, Actor, dict[str, str]], Done]


def canonical(ref: str) -> str:
    return f"INC-{incidents.parse_ref(ref)}"


def checked(values: dict[str, str], name: str) -> bool:
    return values.get(name, "") not in ("", "0", "false", "off")


def services_of(text: str) -> list[str]:
    return [s for s in re.split(r"[,\s]+", text) if s]


# Declare ---------------------------------------------------------------------------------------------


@router.get("/incidents/new")
def new_incident(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (_, principal):
        return page(runtime, request, "new.html",
                    {"principal": principal, "values": {"severity": ""}, "nav": "declare"})


@router.post("/incidents/new")
async def declare(request: Request, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> tuple[str, Flash]:
        outcome = flows.declare_incident(
            db=db, actor=principal.actor, title=values.get("title", ""),
            severity=values.get("severity", ""), description=values.get("description", ""),
            customer_impact=checked(values, "customer_impact"), security=checked(values, "security"),
            suspected=checked(values, "suspected"),
            affected_services=services_of(values.get("affected_services", "")),
            external_reporter=values.get("external_reporter", ""),
        )
        incident = outcome.incident
        attached = {p.slug for p in playbooks.attached_playbooks(db=db, incident_id=incident.id)}
        suggestions = [s for s in playbooks.suggest(db=db, services=incident.affected_services,
                                                    text=f"{incident.title} {incident.description}")
                       if s.playbook.slug not in attached]
        return incident.ref, Flash(outcome.message, outcome.warnings, "page", suggestions=[
            {"slug": s.playbook.slug, "title": s.playbook.title, "because": s.because} for s in suggestions])

    def refused(error: WarroomError) -> Response:
        return page(runtime, request, "new.html", {
            "principal": principal, "values": values, "nav": "declare",
            "form_error": FormError("declare", error.message, values), "error_field": error.field or "",
        }, error.status)

    return await act_in_pool(request, runtime, principal, values, change,
                             done=lambda made: redirect(runtime, f"/incidents/{made[0]}", made[1]),
                             refused=refused)


# The room --------------------------------------------------------------------------------------------


def room_context(principal: Principal, db: Session, ref: str, before: int | None) -> dict[str, Any]:
    panel = load_panel(db, ref, principal.actor)
    timeline = load_timeline(db, panel.incident.id, before)
    day = panel.links.announcement_day_id  # read with the incident: other rooms pay no query for the banner
    return {"principal": principal, "panel": panel, "incident": panel.incident, "timeline": timeline,
            "can_act": can_act(principal) and not panel.incident.is_archived, "nav": "incidents",
            "announcement_day": announcement_days.banner(db=db, day_id=day, incident_id=panel.incident.id,
                                                         now=principal.actor.clock.now()) if day else None}


def room_page(request: Request, runtime: Runtime, ref: str, *, before: int | None = None,
              form_error: FormError | None = None, status: int = 200) -> Response:
    with reading_as(request) as (db, principal):
        context = room_context(principal, db, ref, before)
    context["form_error"] = form_error
    return page(runtime, request, "room.html", context, status)


@router.get("/incidents/{ref}")
def room(request: Request, ref: str, before: Count | None = None,
         runtime: Runtime = Depends(get_runtime)) -> Response:
    return room_page(request, runtime, ref, before=before)


@router.get("/incidents/{ref}/panel")
def panel_fragment(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        panel = load_panel(db, ref, principal.actor)
    html = render("_panel.html", principal=principal, panel=panel, incident=panel.incident, form_error=None,
                  can_act=can_act(principal) and not panel.incident.is_archived)
    return html_fragment(html)


@router.get("/incidents/{ref}/entries")
def entries_fragment(request: Request, ref: str, before: Count | None = None, after: Count | None = None,
                     runtime: Runtime = Depends(get_runtime)) -> Response:
    """Timeline entries as HTML: an earlier page (``before``) or what came after ``after``."""
    with reading_as(request) as (db, principal):
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        if after is not None:
            entries = timeline_service.list_entries(db=db, incident_id=incident.id, after_id=after, limit=200)
            earlier = ""
        else:
            page_ = load_timeline(db, incident.id, before)
            entries = page_.entries
            earlier = str(page_.first_id) if page_.has_earlier else ""
    html = render("_entries.html", entries=entries, incident=incident, principal=principal,
                  can_act=can_act(principal) and not incident.is_archived)
    response = html_fragment(html)
    response.headers["X-Warroom-Earlier"] = earlier
    return response


@router.get("/incidents/{ref}/playbooks")
def playbook_picker(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    """Playbooks for this incident: the suggested ones first, each attachable."""
    with reading_as(request) as (db, principal):
        panel = load_panel(db, ref, principal.actor)
        incident = panel.incident
        suggestions = playbooks.suggest(db=db, services=incident.affected_services,
                                        text=f"{incident.title} {incident.description} {incident.summary}")
        everything = playbooks.list_playbooks(db=db)
    suggested = {s.playbook.slug for s in suggestions}
    return page(runtime, request, "picker.html", {
        "principal": principal, "incident": incident, "suggestions": suggestions,
        "others": [p for p in everything if p.slug not in suggested],
        "attached": {a.slug for a in panel.attached}, "nav": "incidents",
        "can_act": can_act(principal) and not incident.is_archived,
    })


# Room forms ------------------------------------------------------------------------------------------


async def room_post(request: Request, runtime: Runtime, principal: Principal, ref: str,
                    form_name: str | Callable[[dict[str, str]], str], change: Change) -> Response:
    """Read the form here (async), then do the database work in the thread pool; answer as the caller wants."""
    values = await read_form(request)
    name = form_name(values) if callable(form_name) else form_name

    def run(db: Session) -> tuple[str, Done]:
        room_ref = canonical(ref)
        return room_ref, change(db, principal.actor, values)

    def refused(error: WarroomError) -> Response:
        if wants_json(request):
            return json_reply({"ok": False, "error": error.message, "field": error.field}, error.status)
        return room_page(request, runtime, ref, form_error=FormError(name, error.message, values),
                         status=error.status)

    return await act_in_pool(request, runtime, principal, values, run,
                             done=lambda made: _done(request, runtime, name, *made), refused=refused)


def _done(request: Request, runtime: Runtime, form_name: str, room_ref: str, done: Done) -> Response:
    if wants_json(request):
        return json_reply({"ok": True, "message": done.message, "warnings": done.warnings, "link": done.link})
    where = "composer" if form_name == "composer" else "panel"
    flash = Flash(done.message, done.warnings, where, done.link) if done.message or done.warnings else None
    return redirect(runtime, f"/incidents/{room_ref}#{where}", flash)


SAY_AS_WRITTEN = " To say it to the room as written, start the line with a space."


def is_command(text: str) -> bool:
    """Text that starts with /incident or /genie is a command; anything else is said to the room."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in COMMAND_WORDS


def refuse_typo(text: str) -> None:
    """A line starting with a typo of a command (``/incdent lead @dan``) is answered with the closest command,
    not said to the room; a leading space says it as written."""
    typo = misspelt_command(text, escape=SAY_AS_WRITTEN) if text[:1] in ("/", "!") else None
    if typo is not None:
        raise typo


@router.post("/incidents/{ref}/messages")
async def compose(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        text = values.get("text", "")
        if is_command(text):
            result = run_command(db=db, actor=actor, text=text, incident_ref=canonical(ref))
            other = result.incident_ref if result.incident_ref and result.incident_ref != canonical(ref) else ""
            return Done(result.message, result.warnings, f"/incidents/{other}" if other else "")
        refuse_typo(text)
        flows.post_message(db=db, actor=actor, ref=ref, text=text)
        return Done()

    return await room_post(request, runtime, principal, ref, "composer", change)


def _outcome(outcome: flows.Outcome) -> Done:
    return Done(outcome.message, outcome.warnings)


@router.post("/incidents/{ref}/roles")
async def assign_role(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        role = values.get("role", "lead")
        if role == "other":
            role = values.get("role_name", "")
            if not role.strip():
                raise ValidationFailed("Name the role you are assigning, e.g. scribe.", field="role_name")
        return _outcome(flows.assign_role(db=db, actor=actor, ref=ref, role=role, who=values.get("who", "")))

    return await room_post(request, runtime, principal, ref, "roles", change)


@router.post("/incidents/{ref}/acknowledge")
async def acknowledge(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.acknowledge(db=db, actor=actor, ref=ref, role=values.get("role") or "lead"))

    return await room_post(request, runtime, principal, ref, "ack", change)


@router.post("/incidents/{ref}/status")
async def set_status(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.set_status(db=db, actor=actor, ref=ref, status=values.get("status", ""),
                                         text=values.get("text", "")))

    return await room_post(request, runtime, principal, ref, "status", change)


@router.post("/incidents/{ref}/summary")
async def set_summary(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.set_summary(db=db, actor=actor, ref=ref, summary=values.get("summary", "")))

    return await room_post(request, runtime, principal, ref, "summary", change)


@router.post("/incidents/{ref}/updates")
async def post_update(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.post_update(db=db, actor=actor, ref=ref, kind=values.get("kind", "update"),
                                          text=values.get("text", ""), result=values.get("result", "")))

    return await room_post(request, runtime, principal, ref, lambda v: f"update-{v.get('kind', 'update')}", change)


@router.post("/incidents/{ref}/severity")
async def change_severity(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.change_severity(db=db, actor=actor, ref=ref, severity=values.get("severity", "")))

    return await room_post(request, runtime, principal, ref, "severity", change)


@router.post("/incidents/{ref}/resolve")
async def resolve(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.resolve_incident(db=db, actor=actor, ref=ref, text=values.get("text", ""),
                                               false_positive=checked(values, "false_positive")))

    return await room_post(request, runtime, principal, ref, "resolve", change)


@router.post("/incidents/{ref}/close")
async def close(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        reason = values.get("reason", "").strip()
        if values.get("false_positive"):
            return _outcome(flows.close_false_positive(db=db, actor=actor, ref=ref, why=values.get("why", "")))
        if values.get("override") and not reason:
            raise ValidationFailed("Write why the incident closes with required steps open.", field="reason")
        return _outcome(flows.close_incident(db=db, actor=actor, ref=ref, reason=reason or None))

    return await room_post(request, runtime, principal, ref, _close_form, change)


def _close_form(values: dict[str, str]) -> str:
    if values.get("false_positive"):
        return "close-false-positive"
    return "close-override" if values.get("override") else "close"


@router.post("/incidents/{ref}/checklist/{key}")
async def checklist_item(request: Request, ref: str, key: str, runtime: Runtime = Depends(get_runtime),
                         principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.set_checklist_item(db=db, actor=actor, ref=ref, key=key,
                                                 state=values.get("state", ""), note=values.get("note", "")))

    return await room_post(request, runtime, principal, ref, f"check:{key}", change)


@router.post("/incidents/{ref}/pins/{entry_id}")
async def pin(request: Request, ref: str, entry_id: RowId, runtime: Runtime = Depends(get_runtime),
              principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.pin_entry(db=db, actor=actor, ref=ref, entry_id=entry_id,
                                        pinned=checked(values, "pinned")))

    return await room_post(request, runtime, principal, ref, f"pin:{entry_id}", change)


@router.post("/incidents/{ref}/playbooks")
async def attach_playbook(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.attach_playbook(db=db, actor=actor, ref=ref, slug=values.get("slug", "")))

    return await room_post(request, runtime, principal, ref, "playbook", change)


@router.post("/incidents/{ref}/security")
async def flag_security(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(flows.update_details(db=db, actor=actor, ref=ref, security=checked(values, "security")))

    return await room_post(request, runtime, principal, ref, "security", change)


@router.post("/incidents/{ref}/participants")
async def invite(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(web_principal)) -> Response:
    def change(db: Session, actor: Actor, values: dict[str, str]) -> Done:
        return _outcome(participants.invite(db=db, actor=actor, ref=ref, who=values.get("who", "")))

    return await room_post(request, runtime, principal, ref, "invite", change)
