"""Playbooks: read them rendered, and (responders) write them in Markdown."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.playbooks import service as playbooks
from warroom.runtime import Runtime
from warroom.web.auth import can_act, reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)

NEW_BODY = "# What this playbook is for\n\nSay when to use it.\n\n- [ ] First step\n- [ ] Second step\n"


def _listed(text: str) -> list[str]:
    return [w for w in re.split(r"\s*,\s*", text.strip()) if w]


@router.get("/playbooks")
def playbook_list(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        found = playbooks.list_playbooks(db=db)
    return page(runtime, request, "playbooks.html", {
        "principal": principal, "playbooks": [(p, len(playbooks.steps_of(p.body_md))) for p in found],
        "can_act": can_act(principal), "nav": "playbooks",
    })


def _editor(runtime: Runtime, request: Request, principal: Principal, *, create: bool,
            values: dict[str, str], error: FormError | None = None) -> Response:
    return page(runtime, request, "playbook_edit.html", {
        "principal": principal, "create": create, "values": values, "form_error": error,
        "can_act": can_act(principal), "nav": "playbooks",
    }, error.status if error else 200)


@router.get("/playbooks/new")
def new_playbook(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (_, principal):
        values = {"slug": "", "title": "", "services": "", "keywords": "", "body_md": NEW_BODY}
        return _editor(runtime, request, principal, create=True, values=values)


@router.get("/playbooks/{slug}")
def view_playbook(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        playbook = playbooks.get_playbook(db=db, slug=slug)
    return page(runtime, request, "playbook.html", {
        "principal": principal, "playbook": playbook, "steps": playbooks.steps_of(playbook.body_md),
        "can_act": can_act(principal), "nav": "playbooks",
    })


@router.get("/playbooks/{slug}/edit")
def edit_playbook(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        found = playbooks.get_playbook(db=db, slug=slug)
        values = {"slug": found.slug, "title": found.title, "services": ", ".join(found.services),
                  "keywords": ", ".join(found.keywords), "body_md": found.body_md}
    return _editor(runtime, request, principal, create=False, values=values)


async def _save(request: Request, runtime: Runtime, principal: Principal, *, create: bool,
                slug: str = "") -> Response:
    values = await read_form(request)
    if not create:
        values["slug"] = slug

    def change(db: Session) -> str:
        saved = playbooks.save_playbook(
            db=db, actor=principal.actor, slug=values.get("slug", ""), title=values.get("title", ""),
            body_md=values.get("body_md", ""), services=_listed(values.get("services", "")),
            keywords=_listed(values.get("keywords", "")), create=create)
        return f"Saved playbook “{saved.title}”"

    return await post_form(
        request, runtime, principal, "playbook", values, change,
        then=f"/playbooks/{values.get('slug', '').strip().lower()}",
        on_error=lambda error: _editor(runtime, request, principal, create=create, values=values, error=error))


@router.post("/playbooks/new")
async def create_playbook(request: Request, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    return await _save(request, runtime, principal, create=True)


@router.post("/playbooks/{slug}/edit")
async def update_playbook(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    return await _save(request, runtime, principal, create=False, slug=slug)
