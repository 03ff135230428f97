"""An incident's postmortem: generate, read, edit, review, publish, comment, export; the library; the template."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.postmortems import service as postmortems
from warroom.postmortems.publish import publisher_for
from warroom.postmortems.schemas import (
    CommentIn,
    CommentOut,
    LibraryItem,
    LibraryPage,
    PostmortemOut,
    PostmortemPatch,
    TemplateIn,
    TemplateOut,
)
from warroom.postmortems.template import BUILTIN_TEMPLATE
from warroom.runtime import Runtime

router = APIRouter(tags=["postmortems"], route_class=JsonBodyRoute)

READS = problems(401, 403, 404, 422)
FILES: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    "description": "The postmortem as Markdown, a self-contained HTML page, or a PDF"}}


@router.get("/postmortems", summary="The library: published postmortems, newest first, optionally searched",
            response_model=LibraryPage, responses=READS)
def postmortem_library(
    q: Annotated[str, Query(max_length=500, description="Words that must all appear in the title or body.")] = "",
    runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader),
) -> LibraryPage:
    with runtime.database.reading() as db:
        rows = postmortems.library(db=db, actor=principal.actor, q=q)
        return LibraryPage(items=[LibraryItem.of(r) for r in rows], total=len(rows))


@router.get("/postmortems/template", summary="The template new postmortems are drafted from",
            response_model=TemplateOut, responses=READS)
def get_postmortem_template(runtime: Runtime = Depends(get_runtime),
                            principal: Principal = Depends(reader)) -> TemplateOut:
    with runtime.database.reading() as db:
        return TemplateOut(body=postmortems.template_body(db=db), builtin=postmortems.template_is_builtin(db=db))


@router.put("/postmortems/template", summary="Replace the template (Markdown with {{placeholders}})",
            response_model=TemplateOut, responses=WRITES)
def put_postmortem_template(body: TemplateIn, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(writer)) -> TemplateOut:
    with runtime.database.writing() as db:
        row = postmortems.set_template(db=db, actor=principal.actor, body=body.body)
        return TemplateOut(body=row.body, builtin=False)


@router.delete("/postmortems/template", summary="Go back to the built-in template",
               response_model=TemplateOut, responses=WRITES)
def reset_postmortem_template(runtime: Runtime = Depends(get_runtime),
                              principal: Principal = Depends(writer)) -> TemplateOut:
    with runtime.database.writing() as db:
        postmortems.reset_template(db=db, actor=principal.actor)
    return TemplateOut(body=BUILTIN_TEMPLATE, builtin=True)


@router.post("/incidents/{ref}/postmortem", summary="Generate the incident's postmortem draft from the template",
             status_code=201, response_model=PostmortemOut, responses=WRITES)
def generate_postmortem(ref: str, runtime: Runtime = Depends(get_runtime),
             principal: Principal = Depends(writer)) -> PostmortemOut:
    with runtime.database.writing() as db:
        made = postmortems.generate(db=db, actor=principal.actor, ref=ref)
        db.flush()
        return PostmortemOut.of(postmortems.view_of(db=db, postmortem=made,
                                                    incident=postmortems.incident_of(db=db, postmortem=made)))


@router.get("/incidents/{ref}/postmortem", summary="The incident's postmortem, with its comments",
            response_model=PostmortemOut, responses=READS)
def get_postmortem(ref: str, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(reader)) -> PostmortemOut:
    with runtime.database.reading() as db:
        return PostmortemOut.of(postmortems.get_postmortem(db=db, actor=principal.actor, ref=ref))


@router.patch("/incidents/{ref}/postmortem", summary="Edit the body or title; move it draft → in_review → published",
              response_model=PostmortemOut, responses={**WRITES, **problems(503)})
def update_postmortem(ref: str, body: PostmortemPatch, runtime: Runtime = Depends(get_runtime),
           principal: Principal = Depends(writer)) -> PostmortemOut:
    prepared = None
    if postmortems.wants_publish(body.state):
        with runtime.database.reading() as db:
            prepared = postmortems.prepare_publication(db=db, actor=principal.actor, ref=ref, body=body.body,
                                                       title=body.title)
    with runtime.database.writing() as db:
        postmortems.update(db=db, actor=principal.actor, ref=ref, body=body.body, title=body.title,
                           state=body.state, publisher=publisher_for(runtime.settings), prepared=prepared)
        db.flush()
        return PostmortemOut.of(postmortems.get_postmortem(db=db, actor=principal.actor, ref=ref))


@router.post("/incidents/{ref}/postmortem/comments", summary="Comment on the postmortem",
             status_code=201, response_model=CommentOut, responses=WRITES)
def comment_on_postmortem(ref: str, body: CommentIn, runtime: Runtime = Depends(get_runtime),
            principal: Principal = Depends(writer)) -> CommentOut:
    with runtime.database.writing() as db:
        made = postmortems.add_comment(db=db, actor=principal.actor, ref=ref, body=body.body)
        return CommentOut(id=made.id, author=principal.actor.handle, body=made.body, created_at=made.created_at)


def _export(runtime: Runtime, principal: Principal, ref: str, fmt: str) -> Response:
    with runtime.database.reading() as db:
        found = postmortems.export(db=db, actor=principal.actor, ref=ref, fmt=fmt)
    return Response(found.content, media_type=found.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{found.filename}"',
                             "X-Content-Type-Options": "nosniff"})


@router.get("/incidents/{ref}/postmortem/export", summary="Download the postmortem as md, html or pdf",
            response_class=Response, responses={**FILES, **READS})
def export_postmortem(ref: str, format: Annotated[str, Query(description="md, html or pdf.")] = "md",
           runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)) -> Response:
    return _export(runtime, principal, ref, format)


@router.get("/incidents/{ref}/postmortem.{fmt}", summary="Download the postmortem (.md, .html or .pdf)",
            response_class=Response, responses={**FILES, **READS})
def export_postmortem_file(ref: str, fmt: str, runtime: Runtime = Depends(get_runtime),
                principal: Principal = Depends(reader)) -> Response:
    return _export(runtime, principal, ref, fmt)
