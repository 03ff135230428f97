"""On-call schedules: rotations (layers) in a time zone, overrides, who is on call, the coming weeks, .ics feeds.

Admins write schedules and layers; responders add and remove overrides (covering for someone is part of
being on call). Every change is one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team
from warroom.api.deps import Principal, admin, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.core.bounds import Int
from warroom.core.clock import as_utc
from warroom.core.errors import NotFound, PermissionDenied, ValidationFailed
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.policies import MAX_ID, TargetKind
from warroom.oncall.schedules import feeds, ical
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride
from warroom.oncall.schedules.schemas import (
    LayerChangeIn,
    LayerIn,
    LayerOut,
    LayerRowOut,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleChangeIn,
    ScheduleDetailOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePage,
    ShiftOut,
    TimelineOut,
)
from warroom.runtime import Runtime

router = APIRouter(tags=["on-call schedules"], route_class=JsonBodyRoute)
SCHEDULE_PATH = "/schedules/{slug}"
CALENDAR = "text/calendar; charset=utf-8"
DEFAULT_TIMELINE_DAYS = 14
DEFAULT_CALENDAR_DAYS = 60
ICS: dict[int | str, dict[str, Any]] = {200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
             "description": "iCalendar (RFC 5545), one event per shift, in UTC"}}

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="The row's number.")]
Days = Annotated[Int, Query(description="How many days, 1 to 366.")]
From = Annotated[datetime | None, Query(alias="from", description="Start (default now; UTC without an offset).")]


def _team(db: Session, slug: str | None) -> Team | None:
    if slug is None:
        return None
    team = accounts.find_team(db=db, name=slug)
    if team is None:
        raise ValidationFailed(f"No team '{slug}'. Use a team slug, e.g. engineering.", field="team")
    return team


def _team_slug(db: Session, schedule: Schedule) -> str | None:
    if schedule.team_id is None:
        return None
    return policies.names_of(db=db, refs=[("team", schedule.team_id)]).get(("team", schedule.team_id))


def _schedule(db: Session, ref: str) -> Schedule:
    return schedules.get_schedule(db=db, ref=ref.strip())


def _check_people(field: str, people: Sequence[int | str | None]) -> None:
    # People named by id: schedules.find_participant passes any int to the database, past 32 bits a 500 on
    # PostgreSQL.
    for who in people:
        if isinstance(who, int) and not 0 < who <= MAX_ID:
            raise ValidationFailed(f"No user #{who}. Name people by @handle, email or user id.", field=field)


def _layer_of(db: Session, schedule: Schedule, layer_id: int) -> ScheduleLayer:
    layer = schedules.get_layer(db=db, layer_id=layer_id)
    if layer.schedule_id != schedule.id:
        raise NotFound(f"Schedule {schedule.slug} has no layer #{layer_id}.", field="layer")
    return layer


def _layer_out(db: Session, layer: ScheduleLayer) -> LayerOut:
    return LayerOut.of(layer, schedules.handles_of(db=db, user_ids=layer.participants))


def _override_out(db: Session, override: ScheduleOverride) -> OverrideOut:
    people = [override.user_id] + ([override.replaces_user_id] if override.replaces_user_id else [])
    return OverrideOut.of(override, schedules.handles_of(db=db, user_ids=people))


def _detail(db: Session, schedule: Schedule, runtime: Runtime) -> ScheduleDetailOut:
    layers = schedules.list_layers(db=db, schedule=schedule)
    overrides = schedules.list_overrides(db=db, schedule=schedule, start=runtime.clock.now())
    ids = {i for layer in layers for i in layer.participants}
    ids |= {o.user_id for o in overrides} | {o.replaces_user_id for o in overrides if o.replaces_user_id}
    handles = schedules.handles_of(db=db, user_ids=list(ids))
    head = ScheduleOut.of(schedule, _team_slug(db, schedule))
    return ScheduleDetailOut(**head.model_dump(), layers=[LayerOut.of(layer, handles) for layer in layers],
                             overrides=[OverrideOut.of(o, handles) for o in overrides])


# Schedules --------------------------------------------------------------------------------------------


@router.get("/schedules", summary="List on-call schedules", response_model=SchedulePage,
            responses=problems(401, 403, 422))
def list_schedules(
    team: Annotated[str | None, Query(description="Only this team's schedules (slug).")] = None,
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> SchedulePage:
    with runtime.database.reading() as db:
        chosen = _team(db, team)
        found = (schedules.schedules_for_team(db=db, team=chosen) if chosen is not None
                 else schedules.list_schedules(db=db))
        names = policies.names_of(db=db, refs=[("team", s.team_id) for s in found if s.team_id])
        items = [ScheduleOut.of(s, names.get(("team", s.team_id)) if s.team_id else None)
                 for s in window(found, limit, offset)]
    return SchedulePage(items=items, total=len(found), limit=limit, offset=offset)


@router.post("/schedules", summary="Create a schedule (admin)", status_code=201, response_model=ScheduleDetailOut,
             responses=WRITES)
def create_schedule(
    body: ScheduleIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> ScheduleDetailOut:
    with runtime.database.writing() as db:
        schedule = schedules.create_schedule(db=db, actor=principal.actor, slug=body.slug, name=body.name,
                                             time_zone=body.time_zone, team=_team(db, body.team),
                                             description=body.description)
        return _detail(db, schedule, runtime)


@router.get(SCHEDULE_PATH, summary="A schedule with its layers and coming overrides",
            response_model=ScheduleDetailOut, responses=problems(401, 403, 404, 422))
def show_schedule(
    slug: str, runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader)
) -> ScheduleDetailOut:
    with runtime.database.reading() as db:
        return _detail(db, _schedule(db, slug), runtime)


@router.patch(SCHEDULE_PATH, summary="Change a schedule's name, zone, team or description (admin)",
              response_model=ScheduleDetailOut, responses=WRITES)
def update_schedule(
    slug: str, body: ScheduleChangeIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(admin),
) -> ScheduleDetailOut:
    changes: dict[str, Any] = body.changes()
    with runtime.database.writing() as db:
        schedule = _schedule(db, slug)
        if "team" in changes:
            changes["team"] = _team(db, changes["team"])
        schedules.update_schedule(db=db, actor=principal.actor, schedule=schedule, **changes)
        return _detail(db, schedule, runtime)


@router.delete(SCHEDULE_PATH, summary="Remove a schedule, its layers and overrides (admin)",
               response_model=ScheduleOut, responses=WRITES)
def remove_schedule(
    slug: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> ScheduleOut:
    with runtime.database.writing() as db:
        schedule = _schedule(db, slug)
        policies.ensure_not_paged(db=db, kind=TargetKind.schedule, target_id=schedule.id, name=schedule.slug)
        removed = ScheduleOut.of(schedule, _team_slug(db, schedule))
        schedules.remove_schedule(db=db, actor=principal.actor, schedule=schedule)
    return removed


# Layers -----------------------------------------------------------------------------------------------


@router.post(f"{SCHEDULE_PATH}/layers", summary="Add a rotation layer (admin)", status_code=201,
             response_model=LayerOut, responses=WRITES)
def add_layer(
    slug: str, body: LayerIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> LayerOut:
    fields = body.changes()
    _check_people("participants", body.participants)
    with runtime.database.writing() as db:
        schedule = _schedule(db, slug)
        layer = schedules.add_layer(db=db, actor=principal.actor, schedule=schedule, **fields)
        return _layer_out(db, layer)


@router.patch(f"{SCHEDULE_PATH}/layers/{{layer_id}}", summary="Change a rotation layer (admin)",
              response_model=LayerOut, responses=WRITES)
def update_layer(
    slug: str, layer_id: RowId, body: LayerChangeIn, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(admin),
) -> LayerOut:
    _check_people("participants", body.participants or [])
    with runtime.database.writing() as db:
        layer = _layer_of(db, _schedule(db, slug), layer_id)
        schedules.update_layer(db=db, actor=principal.actor, layer=layer, **body.changes())
        return _layer_out(db, layer)


@router.delete(f"{SCHEDULE_PATH}/layers/{{layer_id}}", summary="Remove a rotation layer (admin)",
               response_model=LayerOut, responses=WRITES)
def remove_layer(
    slug: str, layer_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> LayerOut:
    with runtime.database.writing() as db:
        layer = _layer_of(db, _schedule(db, slug), layer_id)
        removed = _layer_out(db, layer)
        schedules.remove_layer(db=db, actor=principal.actor, layer=layer)
    return removed


# Overrides --------------------------------------------------------------------------------------------


@router.post(f"{SCHEDULE_PATH}/overrides", summary="Cover for someone for a while (an override)", status_code=201,
             response_model=OverrideOut, responses=WRITES)
def add_override(
    slug: str, body: OverrideIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OverrideOut:
    _check_people("user", [body.user])
    _check_people("replaces", [body.replaces])
    with runtime.database.writing() as db:
        schedule = _schedule(db, slug)
        override = schedules.add_override(db=db, actor=principal.actor, schedule=schedule, user=body.user,
                                          start_at=body.start_at, end_at=body.end_at, replaces=body.replaces)
        return _override_out(db, override)


@router.delete(f"{SCHEDULE_PATH}/overrides/{{override_id}}", summary="Remove an override",
               response_model=OverrideOut, responses=WRITES)
def remove_override(
    slug: str, override_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OverrideOut:
    with runtime.database.writing() as db:
        schedule = _schedule(db, slug)
        override = schedules.get_override(db=db, override_id=override_id)
        if override.schedule_id != schedule.id:
            raise NotFound(f"Schedule {schedule.slug} has no override #{override_id}.", field="override")
        removed = _override_out(db, override)
        schedules.remove_override(db=db, actor=principal.actor, override=override)
    return removed


# Who and when -----------------------------------------------------------------------------------------


@router.get(f"{SCHEDULE_PATH}/on-call", summary="Who is on call on this schedule (now, or at a time)",
            response_model=OnCallOut, responses=problems(401, 403, 404, 422))
def on_call(
    slug: str,
    at: Annotated[datetime | None, Query(description="When (default now; UTC without an offset).")] = None,
    runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader),
) -> OnCallOut:
    moment = as_utc(at) if at else runtime.clock.now()
    with runtime.database.reading() as db:
        schedule = _schedule(db, slug)
        people = schedules.who_is_on_call(db=db, schedule=schedule, at=moment)
        return OnCallOut.of(moment, people, schedule=schedule.slug)


@router.get(f"{SCHEDULE_PATH}/timeline", summary="The coming shifts: final, and per layer",
            response_model=TimelineOut, responses=problems(401, 403, 404, 422))
def schedule_timeline(
    slug: str, start: From = None, days: Days = DEFAULT_TIMELINE_DAYS,
    runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader),
) -> TimelineOut:
    begin = as_utc(start) if start else runtime.clock.now()
    with runtime.database.reading() as db:
        schedule = _schedule(db, slug)
        final = schedules.timeline(db=db, schedule=schedule, start=begin, days=days)
        rows = schedules.timeline_by_layer(db=db, schedule=schedule, start=begin, days=days)
        return TimelineOut(schedule=schedule.slug, time_zone=schedule.time_zone, start=begin,
                           end=begin + timedelta(days=days), shifts=[ShiftOut.of(s) for s in final],
                           layers=[LayerRowOut(layer_id=layer.id, name=layer.name,
                                               shifts=[ShiftOut.of(s) for s in shifts]) for layer, shifts in rows])


@router.get(f"{SCHEDULE_PATH}/calendar.ics", summary="The schedule's shifts as an iCalendar feed",
            response_class=Response, responses={**ICS, **problems(401, 403, 404, 422)})
def schedule_calendar(
    slug: str, start: From = None, days: Days = DEFAULT_CALENDAR_DAYS,
    runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader),
) -> Response:
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        schedule = _schedule(db, slug)
        body = ical.schedule_calendar(db=db, schedule=schedule, start=as_utc(start) if start else now, days=days,
                                      now=now)
    return Response(body, media_type=CALENDAR,
                    headers={"Content-Disposition": f'inline; filename="{schedule.slug}.ics"'})


@router.get("/users/{handle}/on-call.ics", summary="One person's shifts on every schedule, as iCalendar",
            response_class=Response, responses={**ICS, **problems(401, 403, 404, 422)})
def user_calendar(
    handle: str, start: From = None, days: Days = DEFAULT_CALENDAR_DAYS,
    runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader),
) -> Response:
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        user = accounts.find_person(db=db, who=handle)
        body = ical.user_calendar(db=db, user=user, start=as_utc(start) if start else now, days=days, now=now)
    return Response(body, media_type=CALENDAR,
                    headers={"Content-Disposition": f'inline; filename="on-call-{user.handle}.ics"'})


# Calendar feeds: secret URLs for calendar apps -------------------------------------------------------------


class CalendarFeedOut(BaseModel):
    url: str = Field(description="The feed's secret URL: calendar apps subscribe to it without signing in. A new "
                                 "URL (POST) refuses the old one at once.")


FEED_ERRORS = problems(401, 403, 404, 422)


def _user_feed(runtime: Runtime, principal: Principal, handle: str, *, renew: bool) -> CalendarFeedOut:
    with runtime.database.writing() if renew else runtime.database.reading() as db:
        user = accounts.find_person(db=db, who=handle)
        if renew:
            feeds.renew_user_feed(db=db, actor=principal.actor, user=user)
        elif principal.actor.user_id != user.id and not principal.actor.is_admin:
            raise PermissionDenied(f"Only @{user.handle} or an admin reads @{user.handle}'s calendar URL.")
        return CalendarFeedOut(url=feeds.user_feed_url(db=db, user=user, key=runtime.secret_key,
                                                       base_url=runtime.settings.base_url))


@router.get("/users/{handle}/calendar-feed", summary="A person's calendar feed URL (theirs, or any for admins)",
            response_model=CalendarFeedOut, responses=FEED_ERRORS)
def user_calendar_feed(handle: str, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(reader)) -> CalendarFeedOut:
    return _user_feed(runtime, principal, handle, renew=False)


@router.post("/users/{handle}/calendar-feed", summary="A new calendar feed URL for a person; the old one is refused",
             response_model=CalendarFeedOut, responses=WRITES)
def renew_user_calendar_feed(handle: str, runtime: Runtime = Depends(get_runtime),
                             principal: Principal = Depends(writer)) -> CalendarFeedOut:
    return _user_feed(runtime, principal, handle, renew=True)


def _schedule_feed(runtime: Runtime, principal: Principal, slug: str, *, renew: bool) -> CalendarFeedOut:
    principal.actor.require(AccessRole.responder)
    with runtime.database.writing() if renew else runtime.database.reading() as db:
        schedule = _schedule(db, slug)
        if renew:
            feeds.renew_schedule_feed(db=db, actor=principal.actor, schedule=schedule)
        return CalendarFeedOut(url=feeds.schedule_feed_url(db=db, schedule=schedule, key=runtime.secret_key,
                                                           base_url=runtime.settings.base_url))


@router.get(f"{SCHEDULE_PATH}/calendar-feed", summary="The schedule's calendar feed URL (responders and admins)",
            response_model=CalendarFeedOut, responses=FEED_ERRORS)
def schedule_calendar_feed(slug: str, runtime: Runtime = Depends(get_runtime),
                           principal: Principal = Depends(reader)) -> CalendarFeedOut:
    return _schedule_feed(runtime, principal, slug, renew=False)


@router.post(f"{SCHEDULE_PATH}/calendar-feed", summary="A new calendar feed URL for the schedule; the old one is "
             "refused", response_model=CalendarFeedOut, responses=WRITES)
def renew_schedule_calendar_feed(slug: str, runtime: Runtime = Depends(get_runtime),
                                 principal: Principal = Depends(writer)) -> CalendarFeedOut:
    return _schedule_feed(runtime, principal, slug, renew=True)
