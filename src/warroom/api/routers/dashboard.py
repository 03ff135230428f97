"""The announcements feed (the handbook's #announce-incidents) and the dashboard's headline figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.announcements import service as announcements
from warroom.api.deps import Principal, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import Limit, problems
from warroom.core.bounds import Count
from warroom.dashboard import service as dashboard
from warroom.incidents.schemas import AnnouncementOut, AnnouncementPage, HeadlineOut, incident_url
from warroom.runtime import Runtime

router = APIRouter(tags=["dashboard"], route_class=JsonBodyRoute)


@router.get("/announcements", summary="The announcements feed, newest first, paged by id",
            response_model=AnnouncementPage, responses=problems(401, 403, 422))
def list_announcements(
    before: Annotated[Count | None, Query(description="Announcements older than this id.")] = None,
    limit: Limit = 50,
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> AnnouncementPage:
    """A private security incident's lines are redacted for those who may not see it."""
    with runtime.database.reading() as db:
        rows = announcements.feed(db=db, viewer=principal.actor, limit=limit + 1, before_id=before)
    base_url = runtime.settings.base_url
    items = [
        AnnouncementOut(id=a.id, incident=f"INC-{a.incident_id}", kind=a.kind, text=a.text, redacted=a.redacted,
                        created_at=a.created_at, url=incident_url(base_url, f"INC-{a.incident_id}"))
        for a in rows[:limit]
    ]
    return AnnouncementPage(items=items, has_more=len(rows) > limit)


@router.get("/dashboard/figures", summary="Open now, MTTA and MTTR by severity over 30 and 90 days",
            response_model=HeadlineOut, responses=problems(401, 403))
def headline_figures(runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)) -> HeadlineOut:
    """A private security incident counts only for those who may see it, as in the list the figures drill into."""
    with runtime.database.reading() as db:
        headline = dashboard.headline_figures(db=db, now=runtime.clock.now(), viewer=principal.actor)
    return HeadlineOut.of(headline)
