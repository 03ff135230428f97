"""The postmortem page (editor with preview, review states, comments, exports), the library and the template."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.core.errors import WarroomError
from warroom.followups import service as followups
from warroom.incidents import queries as incident_queries
from warroom.postmortems import render
from warroom.postmortems import service as postmortems
from warroom.postmortems.models import PostmortemState
from warroom.postmortems.publish import publisher_for
from warroom.postmortems.template import PLACEHOLDERS
from warroom.retrospectives import service as retrospectives
from warroom.runtime import Runtime
from warroom.web import followups as followup_forms
from warroom.web.auth import can_act, reading_as, require_csrf, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


def _page(runtime: Runtime, request: Request, ref: str, values: dict[str, str] | None = None,
          error: FormError | None = None, preview: str | None = None) -> Response:
    with reading_as(request) as (db, principal):
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        found = postmortems.find_for_incident(db=db, incident_id=incident.id)
        view = postmortems.view_of(db=db, postmortem=found, incident=incident) if found else None
        editable = bool(view and can_act(principal) and view.postmortem.state is not PostmortemState.published)
        context = {
            "principal": principal, "incident": incident, "view": view, "values": values or {},
            "form_error": error, "can_act": can_act(principal), "editable": editable,
            "preview_html": preview if preview is not None else (view.preview_html if view else ""),
            "previewing": preview is not None,
            "moves": postmortems.TRANSITIONS[view.postmortem.state] if view else (),
            "state_words": postmortems.STATE_WORDS,
            "followups": followups.rows_of(db=db, incident=incident),
            "followup_values": values if error and error.form == "followup" else followup_forms.BLANK,
            "github_ready": bool(runtime.settings.github_token),
            "retro": retrospectives.find(db=db, actor=principal.actor, ref=incident.id),
        }
    return page(runtime, request, "postmortem.html", context, error.status if error else 200)


@router.get("/incidents/{ref}/postmortem")
def postmortem_page(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _page(runtime, request, ref)


async def _post(request: Request, runtime: Runtime, principal: Principal, ref: str, form: str,
                values: dict[str, str], change: Callable[[Session], str]) -> Response:
    return await post_form(request, runtime, principal, form, values, change, then=f"/incidents/{ref}/postmortem",
                           on_error=lambda error: _page(runtime, request, ref, values, error))


@router.post("/incidents/{ref}/postmortem")
async def generate_postmortem(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                              principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        postmortems.generate(db=db, actor=principal.actor, ref=ref)
        return "Postmortem drafted from the incident: edit it, then send it for review"

    return await _post(request, runtime, principal, ref, "generate", values, change)


@router.post("/incidents/{ref}/postmortem/edit")
async def edit_postmortem(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    """``action=preview`` shows the typed Markdown rendered without saving; otherwise the body is saved."""
    values = await read_form(request)
    if values.get("action") == "preview":
        return await run_in_threadpool(_preview, request, runtime, principal, ref, values)

    def change(db: Session) -> str:
        postmortems.update(db=db, actor=principal.actor, ref=ref, body=values.get("body", ""),
                           title=values.get("title"))
        return "Postmortem saved"

    return await _post(request, runtime, principal, ref, "edit", values, change)


def _preview(request: Request, runtime: Runtime, principal: Principal, ref: str, values: dict[str, str]) -> Response:
    try:
        require_csrf(request, principal, values)
        body = postmortems.clean_body(values.get("body", ""))
    except WarroomError as error:
        return _page(runtime, request, ref, values, FormError("edit", error.message, values, error.status))
    return _page(runtime, request, ref, values, preview=render.to_html(body))


@router.post("/incidents/{ref}/postmortem/state")
async def move_postmortem(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)
    state = values.get("state", "")
    prepared = await run_in_threadpool(_prepare, runtime, principal, ref) if postmortems.wants_publish(state) else None

    def change(db: Session) -> str:
        moved = postmortems.update(db=db, actor=principal.actor, ref=ref, state=state,
                                   publisher=publisher_for(runtime.settings), prepared=prepared)
        if moved.state is PostmortemState.published:
            return f"Postmortem published to {moved.published_to}"
        return f"Postmortem is {postmortems.STATE_WORDS[moved.state]}"

    return await _post(request, runtime, principal, ref, "state", values, change)


def _prepare(runtime: Runtime, principal: Principal, ref: str) -> postmortems.Prepared | None:
    with runtime.database.reading() as db:
        return postmortems.prepare_publication(db=db, actor=principal.actor, ref=ref)


@router.post("/incidents/{ref}/postmortem/comments")
async def comment_on_postmortem(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                                principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        postmortems.add_comment(db=db, actor=principal.actor, ref=ref, body=values.get("body", ""))
        return "Comment added"

    return await _post(request, runtime, principal, ref, "comment", values, change)


@router.post("/incidents/{ref}/postmortem/followups")
async def add_followup(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    """A follow-up added while reading the postmortem; the draft's own Follow-ups section is left as written."""
    values = await read_form(request)

    def change(db: Session) -> str:
        return followup_forms.add_from_form(db, runtime, principal, ref, values)[1]

    return await _post(request, runtime, principal, ref, "followup", values, change)


@router.get("/postmortems")
def library_page(request: Request, q: str = "", runtime: Runtime = Depends(get_runtime)) -> Response:
    """The library of published postmortems (the handbook's Incidents folder), searchable."""
    with reading_as(request) as (db, principal):
        rows = postmortems.library(db=db, actor=principal.actor, q=q[:500])
    return page(runtime, request, "postmortems.html", {"principal": principal, "rows": rows, "q": q,
                                                       "nav": "postmortems"})


def _template_page(runtime: Runtime, request: Request, values: dict[str, str] | None = None,
                   error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        body = postmortems.template_body(db=db)
        builtin = postmortems.template_is_builtin(db=db)
    return page(runtime, request, "postmortem_template.html", {
        "principal": principal, "body": (values or {}).get("body", body), "builtin": builtin,
        "placeholders": PLACEHOLDERS, "can_act": can_act(principal), "form_error": error, "nav": "postmortems"},
        error.status if error else 200)


@router.get("/postmortems/template")
def template_page(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _template_page(runtime, request)


@router.post("/postmortems/template")
async def save_template(request: Request, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(web_principal)) -> Response:
    """``action=reset`` goes back to the built-in template; otherwise the body is saved."""
    values = await read_form(request)

    def change(db: Session) -> str:
        if values.get("action") == "reset":
            postmortems.reset_template(db=db, actor=principal.actor)
            return "Back to the built-in template"
        postmortems.set_template(db=db, actor=principal.actor, body=values.get("body", ""))
        return "Template saved: new postmortems are drafted from it"

    return await post_form(request, runtime, principal, "template", values, change,
                                   then="/postmortems/template",
                                   on_error=lambda error: _template_page(runtime, request, values, error))
