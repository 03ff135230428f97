"""An incident's related public GitHub issues: link one (to comment on, and maybe close, when it resolves)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.related_issues import service as related
from warroom.runtime import Runtime
from warroom.web.auth import can_act, reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


def _page(runtime: Runtime, request: Request, ref: str, values: dict[str, str] | None = None,
          error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        incident, rows = related.list_related(db=db, actor=principal.actor, ref=ref)
        links = {row.id: related.issue_url(runtime.settings.github_api_url, row.repository, row.number)
                 for row in rows}
        context = {"principal": principal, "incident": incident, "rows": rows, "links": links,
                   "values": values or {}, "form_error": error, "can_act": can_act(principal),
                   "github_ready": bool(runtime.settings.github_token)}
    return page(runtime, request, "related_issues.html", context, error.status if error else 200)


@router.get("/incidents/{ref}/github-issues")
def related_issues_page(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _page(runtime, request, ref)


@router.post("/incidents/{ref}/github-issues")
async def change_related_issues(request: Request, ref: str, runtime: Runtime = Depends(get_runtime),
                                principal: Principal = Depends(web_principal)) -> Response:
    """``action``: link (issue, close), unlink or retry (issue)."""
    values = await read_form(request)
    action = values.get("action", "link")

    def change(db: Session) -> str:
        issue = values.get("issue", "")
        if action == "unlink":
            return f"Unlinked {related.unlink(db=db, actor=principal.actor, ref=ref, issue=issue)}"
        if action == "retry":
            row = related.retry(db=db, actor=principal.actor, ref=ref, issue=issue)
            return f"Trying {row.repository}#{row.number} again"
        row = related.link(db=db, actor=principal.actor, ref=ref, issue=issue,
                           close_on_resolve=values.get("close") == "on")
        return f"Linked {row.repository}#{row.number}"

    return await post_form(request, runtime, principal, "related-issue", values, change,
                                   then=f"/incidents/{ref}/github-issues",
                                   on_error=lambda error: _page(runtime, request, ref, values, error))
