"""The announcements feed: the handbook's #announce-incidents, live."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from warroom.announcements import service as announcements
from warroom.api.deps import get_runtime
from warroom.core.bounds import Count
from warroom.runtime import Runtime
from warroom.web.auth import reading_as
from warroom.web.templating import page

PER_PAGE = 100

router = APIRouter(include_in_schema=False)


@router.get("/announcements")
def feed(request: Request, before: Count | None = None, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        items = announcements.feed(db=db, viewer=principal.actor, limit=PER_PAGE + 1, before_id=before)
    older = items[PER_PAGE - 1].id if len(items) > PER_PAGE else None
    return page(runtime, request, "announcements.html", {
        "principal": principal, "items": items[:PER_PAGE], "older": older, "live": before is None,
        "nav": "announcements",
    })
