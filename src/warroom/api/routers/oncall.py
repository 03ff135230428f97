"""Who is on call, and paging: the REST side of `/genie whoisoncall` and `/genie alert … for …`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.core.clock import as_utc
from warroom.oncall import paging
from warroom.oncall.alerts.schemas import OnCallLineOut, PagedOut, PageIn, WhoIsOnCallOut
from warroom.runtime import Runtime

router = APIRouter(tags=["on-call"], route_class=JsonBodyRoute)


@router.get("/oncall", summary="Who is on call: for a team, a schedule, or everyone (now, or at a time)",
            response_model=WhoIsOnCallOut, responses=problems(401, 403, 404, 422))
def who_is_on_call(
    target: Annotated[str, Query(max_length=200, description="A team or schedule slug; empty for every "
                                                             "schedule.")] = "",
    at: Annotated[datetime | None, Query(description="When (default now; UTC without an offset).")] = None,
    runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> WhoIsOnCallOut:
    now = runtime.clock.now()
    moment = as_utc(at) if at else now
    with runtime.database.reading() as db:
        lines = paging.who_is_on_call(db=db, target=target, at=moment)
        return WhoIsOnCallOut(
            message=paging.describe_on_call(lines, moment, now), at=moment,
            on_call=[OnCallLineOut(schedule=line.schedule, team=line.team, users=[p.handle for p in line.people])
                     for line in lines])


@router.post("/oncall/page", summary="Page a team or a person (201; 200 when the same page is already open)",
             status_code=201, response_model=PagedOut, responses=WRITES)
def page(
    body: PageIn, response: Response, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(writer),
) -> PagedOut:
    with runtime.database.writing() as db:
        paged = paging.page(db=db, actor=principal.actor, description=body.description, target=body.target,
                            priority=body.priority, incident_ref=body.incident)
    if not paged.created:
        response.status_code = 200
    verb = "Paged" if paged.created else "Already paging"
    return PagedOut(message=f"{verb} {paged.label}: alert #{paged.alert_id}", alert_id=paged.alert_id,
                    created=paged.created, target=paged.label, incident=paged.incident_ref)
