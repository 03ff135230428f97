"""The announcement-day calendar: read by everyone, kept by admins and the marketing team."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from warroom.announcement_days import service as days
from warroom.announcement_days.schemas import DayIn, DayOut, DayPage
from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, problems
from warroom.core.bounds import RowId
from warroom.runtime import Runtime

router = APIRouter(tags=["announcement days"], route_class=JsonBodyRoute)


@router.get("/announcement-days", summary="Announcement days: on now and upcoming first, then past ones",
            response_model=DayPage, responses=problems(401, 403, 422))
def list_days(
    past: Annotated[bool, Query(description="Include days that are over.")] = True,
    runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> DayPage:
    with runtime.database.reading() as db:
        rows = days.list_days(db=db, now=runtime.clock.now(), include_past=past)
        return DayPage(items=[DayOut.of(r) for r in rows], total=len(rows))


@router.post("/announcement-days", summary="Add an announcement day", status_code=201, response_model=DayOut,
             responses=WRITES)
def create_day(body: DayIn, runtime: Runtime = Depends(get_runtime),
               principal: Principal = Depends(writer)) -> DayOut:
    with runtime.database.writing() as db:
        day = days.create_day(db=db, actor=principal.actor, spec=body.spec())
        return DayOut.of(days.day_row(db=db, day_id=day.id, now=runtime.clock.now()))


@router.get("/announcement-days/{day_id}", summary="One announcement day", response_model=DayOut,
            responses=problems(401, 403, 404, 422))
def show_day(day_id: RowId, runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader)) -> DayOut:
    with runtime.database.reading() as db:
        return DayOut.of(days.day_row(db=db, day_id=day_id, now=runtime.clock.now()))


@router.put("/announcement-days/{day_id}", summary="Change an announcement day (send every field)",
            response_model=DayOut, responses=WRITES)
def update_day(day_id: RowId, body: DayIn, runtime: Runtime = Depends(get_runtime),
               principal: Principal = Depends(writer)) -> DayOut:
    with runtime.database.writing() as db:
        days.update_day(db=db, actor=principal.actor, day_id=day_id, spec=body.spec())
        return DayOut.of(days.day_row(db=db, day_id=day_id, now=runtime.clock.now()))


@router.delete("/announcement-days/{day_id}", summary="Delete an announcement day", status_code=204,
               responses=WRITES)
def delete_day(day_id: RowId, runtime: Runtime = Depends(get_runtime),
               principal: Principal = Depends(writer)) -> Response:
    with runtime.database.writing() as db:
        days.delete_day(db=db, actor=principal.actor, day_id=day_id)
    return Response(status_code=204)
