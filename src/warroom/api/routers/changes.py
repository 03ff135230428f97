"""Recent changes (reported with PagerDuty Change Events): per service or team, and per incident."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Principal, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import Limit, problems
from warroom.oncall.changes import service as changes
from warroom.oncall.changes.schemas import ChangeList, ChangeOut, IncidentChangesOut
from warroom.runtime import Runtime

router = APIRouter(tags=["changes"], route_class=JsonBodyRoute)


@router.get("/changes", summary="Recent changes, newest first: of a service, of a team's keys, or all",
            response_model=ChangeList, responses=problems(401, 403, 404, 422))
def list_changes(
    service: Annotated[str, Query(max_length=200, description="The service: its integration key's name.")] = "",
    team: Annotated[str, Query(max_length=100, description="Changes sent with this team's keys (slug).")] = "",
    since: Annotated[datetime | None, Query(description="Only changes made at or after this time.")] = None,
    limit: Limit = changes.DEFAULT_LIMIT,
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> ChangeList:
    with runtime.database.reading() as db:
        found = changes.list_changes(db=db, service=service, team=team, since=since, limit=limit)
        return ChangeList(items=[ChangeOut.of(c) for c in found])


@router.get("/incidents/{ref}/changes",
            summary="What changed on the incident's services just before it was declared, and since",
            response_model=IncidentChangesOut, responses=problems(401, 403, 404, 422))
def incident_changes(ref: str, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(reader)) -> IncidentChangesOut:
    with runtime.database.reading() as db:
        return IncidentChangesOut.of(changes.for_incident(db=db, actor=principal.actor, ref=ref))
