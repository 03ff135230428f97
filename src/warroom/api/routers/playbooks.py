"""Playbooks: Markdown per scenario, suggested by affected service and keyword."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.playbooks import service as playbooks
from warroom.playbooks.schemas import PlaybookChangeIn, PlaybookIn, PlaybookOut, PlaybookPage, SuggestionOut
from warroom.runtime import Runtime

router = APIRouter(tags=["playbooks"], route_class=JsonBodyRoute)


@router.get("/playbooks", summary="List playbooks", response_model=PlaybookPage, responses=problems(401, 403, 422))
def list_playbooks(
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> PlaybookPage:
    with runtime.database.reading() as db:
        found = playbooks.list_playbooks(db=db)
        items = [PlaybookOut.of(p) for p in window(found, limit, offset)]
    return PlaybookPage(items=items, total=len(found), limit=limit, offset=offset)


@router.post("/playbooks", summary="Write a new playbook", status_code=201, response_model=PlaybookOut,
             responses=WRITES)
def create_playbook(
    body: PlaybookIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> PlaybookOut:
    with runtime.database.writing() as db:
        playbook = playbooks.save_playbook(db=db, actor=principal.actor, slug=body.slug, title=body.title,
                                           body_md=body.body_md, services=body.services, keywords=body.keywords,
                                           create=True)
        return PlaybookOut.of(playbook)


# Declared before /playbooks/{slug} so "suggestions" is not taken for a slug.
@router.get("/playbooks/suggestions", summary="Playbooks that fit these services and words",
            response_model=list[SuggestionOut], responses=problems(401, 403, 422))
def suggest_playbooks(
    services: Annotated[str, Query(description="Comma-separated affected services.")] = "",
    text: Annotated[str, Query(max_length=2000, description="Title or description to match keywords in.")] = "",
    runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> list[SuggestionOut]:
    wanted = [s for s in services.split(",") if s.strip()]
    with runtime.database.reading() as db:
        return [SuggestionOut.of(s) for s in playbooks.suggest(db=db, services=wanted, text=text)]


@router.get("/playbooks/{slug}", summary="One playbook", response_model=PlaybookOut,
            responses=problems(401, 403, 404, 422))
def show_playbook(
    slug: str, runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader)
) -> PlaybookOut:
    with runtime.database.reading() as db:
        return PlaybookOut.of(playbooks.get_playbook(db=db, slug=slug))


@router.put("/playbooks/{slug}", summary="Rewrite a playbook", response_model=PlaybookOut, responses=WRITES)
def update_playbook(
    slug: str, body: PlaybookChangeIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> PlaybookOut:
    with runtime.database.writing() as db:
        playbook = playbooks.save_playbook(db=db, actor=principal.actor, slug=slug, title=body.title,
                                           body_md=body.body_md, services=body.services, keywords=body.keywords,
                                           create=False)
        return PlaybookOut.of(playbook)
