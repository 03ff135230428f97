"""Follow-ups of an incident, overdue follow-ups, and GitHub's `issues` webhook that keeps them in step."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.core import json_input
from warroom.core.bounds import RowId, is_count
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.followups import github_sync
from warroom.followups import service as followups
from warroom.followups.schemas import FollowUpIn, FollowUpOut, FollowUpPage, FollowUpPatch, IssueIn, WebhookOut
from warroom.runtime import Runtime

router = APIRouter(tags=["follow-ups"], route_class=JsonBodyRoute)


def parse_github(value: str) -> tuple[bool, str, int | None]:
    """'' → nothing; 'new' → a new issue; 'owner/name#123' → link that issue."""
    text = value.strip()
    if not text:
        return False, "", None
    if text.lower() == "new":
        return True, "", None
    repo, sep, number = text.rpartition("#")
    if not sep or not is_count(number) or not repo:
        raise ValidationFailed(f"'{text}' is not a GitHub issue; write 'new' or owner/name#123.", field="github")
    return True, repo, int(number)


@router.get("/incidents/{ref}/followups", summary="The incident's follow-ups, oldest first",
            response_model=FollowUpPage, responses=problems(401, 403, 404, 422))
def list_followups(ref: str, runtime: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(reader)) -> FollowUpPage:
    with runtime.database.reading() as db:
        rows = followups.list_followups(db=db, actor=principal.actor, ref=ref)
        return FollowUpPage(items=[FollowUpOut.of(r) for r in rows], total=len(rows))


@router.post("/incidents/{ref}/followups", summary="Add a follow-up (optionally with a new or linked GitHub issue)",
             status_code=201, response_model=FollowUpOut, responses=WRITES)
def create_followup(ref: str, body: FollowUpIn, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(writer)) -> FollowUpOut:
    attach, repository, number = parse_github(body.github)
    with runtime.database.writing() as db:
        followup = followups.create_followup(db=db, actor=principal.actor, ref=ref, text=body.text, owner=body.owner,
                                             due=body.due, priority=body.priority)
        if attach:
            db.flush()
            followups.request_issue(db=db, actor=principal.actor, followup_id=followup.id,
                                    repository=repository or body.repository, number=number,
                                    default_repository=runtime.settings.github_repository, labels=body.labels)
        return FollowUpOut.of(followups.row_of(db=db, followup=followup))


@router.get("/followups/overdue", summary="Open follow-ups past their due date, oldest due first",
            response_model=FollowUpPage, responses=problems(401, 403, 404, 422))
def overdue_followups(
    team: Annotated[str, Query(description="Only those owned by this team's members (slug or name).")] = "",
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> FollowUpPage:
    with runtime.database.reading() as db:
        rows = followups.overdue(db=db, actor=principal.actor, today=runtime.clock.now().date(), team=team)
        return FollowUpPage(items=[FollowUpOut.of(r) for r in rows], total=len(rows))


@router.patch("/followups/{followup_id}", summary="Change a follow-up's status, owner, due date or priority",
              response_model=FollowUpOut, responses=WRITES)
def update_followup(followup_id: RowId, body: FollowUpPatch, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(writer)) -> FollowUpOut:
    with runtime.database.writing() as db:
        followup = followups.update_followup(db=db, actor=principal.actor, followup_id=followup_id,
                                             status=body.status, owner=body.owner, due=body.due,
                                             priority=body.priority)
        return FollowUpOut.of(followups.row_of(db=db, followup=followup))


@router.post("/followups/{followup_id}/github", summary="Attach a GitHub issue: create one, or link one by number",
             status_code=202, response_model=FollowUpOut, responses=WRITES)
def attach_issue(followup_id: RowId, body: IssueIn, runtime: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(writer)) -> FollowUpOut:
    with runtime.database.writing() as db:
        followup = followups.request_issue(db=db, actor=principal.actor, followup_id=followup_id,
                                           repository=body.repository, number=body.number,
                                           default_repository=runtime.settings.github_repository,
                                           labels=body.labels)
        return FollowUpOut.of(followups.row_of(db=db, followup=followup))


@router.post("/integrations/github/webhook", summary="GitHub's webhook (issues events), signed with the secret",
             response_model=WebhookOut, responses=problems(400, 401, 409, 413, 422, 503))
async def github_webhook(request: Request, runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    """Verifies X-Hub-Signature-256 over the raw body; a delivery id seen before is refused (409)."""
    raw = await request.body()
    github_sync.verify_signature(runtime.settings.github_webhook_secret, raw,
                                 request.headers.get("x-hub-signature-256"))
    payload = _json_object(raw)
    result = await run_in_threadpool(_handle, runtime, request.headers.get("x-github-delivery", ""),
                                     request.headers.get("x-github-event", ""), payload)
    out = WebhookOut(status=result.status, detail=result.detail, changed=result.changed)
    return JSONResponse(out.model_dump(), status_code=200 if result.status != "ignored" else 202)


class BadJson(WarroomError):
    status = 400
    title = "Bad request"


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = json_input.loads(raw)
    except json_input.InvalidJson as error:
        raise BadJson(f"The body is not valid JSON: {error.msg}.", field="body") from None
    if not isinstance(payload, dict):
        raise BadJson("The body must be a JSON object.", field="body")
    return payload


def _handle(runtime: Runtime, delivery: str, event: str, payload: dict[str, Any]) -> github_sync.WebhookResult:
    with runtime.database.writing() as db:
        return github_sync.handle_delivery(db=db, clock=runtime.clock, delivery_id=delivery, event=event,
                                           payload=payload)
