"""Recent changes pages: a service's or a team's changes, and an incident's ("what changed just before this
broke", the first question of the handbook's roll-back-first advice)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from warroom.api.deps import get_runtime
from warroom.oncall.changes import service as changes
from warroom.runtime import Runtime
from warroom.web.auth import reading_as
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/changes")
def changes_page(request: Request, service: str = "", team: str = "",
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        found = changes.list_changes(db=db, service=service[:changes.MAX_SERVICE], team=team[:100])
        context = {"principal": principal, "changes": found, "service": changes.service_name(service),
                   "team": team.strip(), "incident": None, "nav": "oncall"}
    return page(runtime, request, "changes.html", context)


@router.get("/incidents/{ref}/changes")
def incident_changes_page(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        found = changes.for_incident(db=db, actor=principal.actor, ref=ref)
        context = {"principal": principal, "found": found, "incident": found.incident, "nav": "incidents",
                   "lookback_hours": int(changes.LOOKBACK.total_seconds() // 3600)}
    return page(runtime, request, "changes.html", context)
