"""The announcement-day calendar: everyone signed in reads it; admins and the marketing team keep it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.announcement_days import service as days
from warroom.announcement_days.models import DayKind
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId, is_count
from warroom.core.errors import PermissionDenied, ValidationFailed
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)

BLANK = {"title": "", "kind": "launch", "time_zone": "UTC", "owner": "", "date": "", "starts": "", "ends": "",
         "reminder_minutes": "", "notes": ""}


def owner_choices(db: Session) -> list[str]:
    return [f"@{u.handle}" for u in accounts.list_users(db=db) if u.is_active]


def _may_plan(db: Session, principal: Principal) -> bool:
    try:
        days.may_plan(db, principal.actor)
    except PermissionDenied:
        return False
    return True


@router.get("/announcement-days")
def calendar(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, principal):
        rows = days.list_days(db=db, now=runtime.clock.now())
        may_plan = _may_plan(db, principal)
    return page(runtime, request, "announcement_days.html", {
        "principal": principal, "rows": rows, "may_plan": may_plan, "nav": "announcement_days"})


def _editor(runtime: Runtime, request: Request, *, day_id: int | None, values: dict[str, str],
            error: FormError | None = None) -> Response:
    with reading_as(request) as (db, principal):
        may_plan = _may_plan(db, principal)
        people = owner_choices(db)
    return page(runtime, request, "announcement_day_edit.html", {
        "principal": principal, "day_id": day_id, "values": values, "form_error": error, "may_plan": may_plan,
        "kinds": [k.value for k in DayKind], "people": people, "nav": "announcement_days",
    }, error.status if error else 200)


@router.get("/announcement-days/new")
def new_day(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (_, principal):
        values = dict(BLANK, owner=f"@{principal.user.handle}")
    return _editor(runtime, request, day_id=None, values=values)


@router.get("/announcement-days/{day_id}/edit")
def edit_day(request: Request, day_id: RowId, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request) as (db, _):
        row = days.day_row(db=db, day_id=day_id, now=runtime.clock.now())
        day = row.day
        values = {"title": day.title, "kind": day.kind.value, "time_zone": day.time_zone,
                  "owner": f"@{row.owner_handle}" if row.owner_handle else "",
                  "reminder_minutes": str(day.reminder_minutes or ""), "notes": day.notes, **days.local_inputs(day)}
    return _editor(runtime, request, day_id=day_id, values=values)


def spec_of(values: dict[str, str]) -> days.DaySpec:
    text = values.get("reminder_minutes", "").strip()
    if text and not is_count(text):
        raise ValidationFailed(f"'{text}' is not a number of minutes; leave it empty to keep the usual cadence.",
                               field="reminder_minutes")
    return days.DaySpec(
        title=values.get("title", ""), kind=values.get("kind", ""), time_zone=values.get("time_zone", ""),
        owner=values.get("owner", ""), date=values.get("date", ""), starts=values.get("starts", ""),
        ends=values.get("ends", ""), reminder_minutes=int(text) if text else None, notes=values.get("notes", ""))


async def _save(request: Request, runtime: Runtime, principal: Principal, day_id: int | None) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        spec = spec_of(values)
        if day_id is None:
            day = days.create_day(db=db, actor=principal.actor, spec=spec)
            return f"Added announcement day “{day.title}”"
        day = days.update_day(db=db, actor=principal.actor, day_id=day_id, spec=spec)
        return f"Saved announcement day “{day.title}”"

    return await post_form(
        request, runtime, principal, "day", values, change, then="/announcement-days",
        on_error=lambda error: _editor(runtime, request, day_id=day_id, values=values, error=error))


@router.post("/announcement-days/new")
async def create_day(request: Request, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    return await _save(request, runtime, principal, None)


@router.post("/announcement-days/{day_id}/edit")
async def update_day(request: Request, day_id: RowId, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    return await _save(request, runtime, principal, day_id)


@router.post("/announcement-days/{day_id}/delete")
async def delete_day(request: Request, day_id: RowId, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        day = days.delete_day(db=db, actor=principal.actor, day_id=day_id)
        return f"Deleted announcement day “{day.title}”"

    def refused(error: FormError) -> Response:
        with reading_as(request) as (db, shown_to):
            rows = days.list_days(db=db, now=runtime.clock.now())
            may_plan = _may_plan(db, shown_to)
        return page(runtime, request, "announcement_days.html", {
            "principal": shown_to, "rows": rows, "may_plan": may_plan, "nav": "announcement_days",
            "form_error": error}, error.status)

    return await post_form(request, runtime, principal, "delete", values, change,
                                   then="/announcement-days", on_error=refused)
