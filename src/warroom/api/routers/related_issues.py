"""Public GitHub issues related to an incident: told of the resolution (and closed, if chosen) when it resolves."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.related_issues import service as related
from warroom.related_issues.schemas import RelatedIssueIn, RelatedIssueOut, RelatedIssuePage
from warroom.runtime import Runtime

router = APIRouter(tags=["related GitHub issues"], route_class=JsonBodyRoute)


@router.get("/incidents/{ref}/github-issues", summary="The public GitHub issues linked to the incident",
            response_model=RelatedIssuePage, responses=problems(401, 403, 404, 422))
def list_related_issues(ref: str, runtime: Runtime = Depends(get_runtime),
                        principal: Principal = Depends(reader)) -> RelatedIssuePage:
    with runtime.database.reading() as db:
        incident, rows = related.list_related(db=db, actor=principal.actor, ref=ref)
        api_url = runtime.settings.github_api_url
        return RelatedIssuePage(incident=incident.ref, items=[RelatedIssueOut.of(r, api_url) for r in rows],
                                total=len(rows))


@router.post("/incidents/{ref}/github-issues", summary="Link a public GitHub issue (owner/name#12)",
             status_code=201, response_model=RelatedIssueOut, responses=WRITES)
def link_related_issue(ref: str, body: RelatedIssueIn, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(writer)) -> RelatedIssueOut:
    with runtime.database.writing() as db:
        row = related.link(db=db, actor=principal.actor, ref=ref, issue=body.issue,
                           close_on_resolve=body.close_on_resolve)
        return RelatedIssueOut.of(row, runtime.settings.github_api_url)


@router.delete("/incidents/{ref}/github-issues", summary="Unlink a public GitHub issue", status_code=204,
               responses=WRITES)
def unlink_related_issue(
    ref: str, issue: str = Query(description="owner/name#12"), runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> None:
    with runtime.database.writing() as db:
        related.unlink(db=db, actor=principal.actor, ref=ref, issue=issue)
