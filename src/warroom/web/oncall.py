"""On call: who is on call now (or at a time), paging a team or a person, schedules with their timeline,
overrides, and the schedules as iCalendar feeds.

Each form posts to its own route, which calls one service function (the same ones the API, CLI and chat
use), then redirects; a refused form shows the page again with the domain error beside it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId, is_count
from warroom.core.clock import as_utc
from warroom.core.errors import NotFound, ValidationFailed, WarroomError
from warroom.oncall import paging
from warroom.oncall.alerts.models import Priority
from warroom.oncall.schedules import feeds, ical
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import RotationKind
from warroom.runtime import Runtime
from warroom.web import oncall_view
from warroom.web.auth import SignInRequired, can_act, principal_in, reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, post_form, read_form
from warroom.web.oncall_view import WEEKDAYS, local_input, local_text, parse_moment
from warroom.web.templating import SECURITY_HEADERS, Flash, page, redirect

router = APIRouter(include_in_schema=False)

CALENDAR_BEHIND = timedelta(days=7)  # a feed keeps last week's shifts, so calendars do not lose them at once
CALENDAR_DAYS = 98  # and looks fourteen weeks ahead from there
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Chicago",
                "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney")


def _listed(text: str) -> list[str]:
    return [w for w in re.split(r"[,\s]+", text.strip()) if w]


def _team(db: Session, slug: str) -> Team | None:
    if not slug.strip():
        return None
    team = accounts.find_team(db=db, name=slug.strip())
    if team is None:
        raise ValidationFailed(f"No team '{slug.strip()}'. Use a team slug, e.g. engineering.", field="team")
    return team


# Who is on call ---------------------------------------------------------------------------------------------


def _moment(params: dict[str, str], now: datetime) -> tuple[datetime, str]:
    """The time picker: ``at`` read in ``zone`` (UTC unless chosen); now when empty. Returns (moment, zone)."""
    zone = schedules.valid_time_zone(params.get("zone") or "UTC")
    if not params.get("at"):
        return now, zone
    return parse_moment(params["at"], zone, "at"), zone


def _oncall_page(runtime: Runtime, request: Request, *, values: dict[str, str] | None = None,
                 error: FormError | None = None) -> Response:
    params = {"at": request.query_params.get("at", "").strip(), "zone": request.query_params.get("zone", "").strip()}
    now = runtime.clock.now()
    problem = ""
    try:
        at, zone = _moment(params, now)
    except WarroomError as bad:
        problem, at, zone = bad.message, now, "UTC"
    with reading_as(request) as (db, principal):
        shown = oncall_view.board(db=db, at=at)
        targets = oncall_view.page_targets(db)
        teams = accounts.list_teams(db=db)
    zones = sorted({"UTC", *(line.schedule.time_zone for line in shown.schedules)})
    status = error.status if error else (422 if problem else 200)
    return page(runtime, request, "oncall.html", {
        "principal": principal, "board": shown, "now": now, "at_value": local_input(at, zone) if params["at"] else "",
        "zone": zone, "zones": zones, "is_now": not params["at"] or problem, "problem": problem,
        "targets": targets, "teams": teams, "priorities": list(Priority), "common_zones": COMMON_ZONES,
        "values": values or {}, "form_error": error, "can_act": can_act(principal),
        "is_admin": principal.actor.is_admin, "local": local_text, "nav": "oncall",
    }, status)


@router.get("/oncall")
def oncall(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _oncall_page(runtime, request)


@router.post("/oncall/page")
async def page_someone(request: Request, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    """The handbook's "/genie alert <description> for <team or user>" as a form; then the alert it opened."""
    values = await read_form(request)

    def change(db: Session) -> paging.Paged:
        return paging.page(db=db, actor=principal.actor, description=values.get("description", ""),
                           target=values.get("target", ""), priority=values.get("priority") or None,
                           incident_ref=values.get("incident", "").strip() or None)

    return await act_in_pool(
        request, runtime, principal, values, change, done=lambda done: _paged(runtime, done),
        refused=lambda error: _oncall_page(runtime, request, values=values,
                                           error=FormError("page", error.message, values, error.status)))


def _paged(runtime: Runtime, done: paging.Paged) -> Response:
    verb = "Paged" if done.created else "Already paging"
    where = f" in {done.incident_ref}" if done.incident_ref else ""
    return redirect(runtime, f"/alerts/{done.alert_id}", Flash(f"{verb} {done.label}{where}: alert #{done.alert_id}"))


@router.post("/oncall/schedules")
async def create_schedule(request: Request, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)
    slug = values.get("slug", "").strip().lower()

    def change(db: Session) -> str:
        made = schedules.create_schedule(db=db, actor=principal.actor, slug=values.get("slug", ""),
                                         name=values.get("name", ""), time_zone=values.get("time_zone", ""),
                                         team=_team(db, values.get("team", "")),
                                         description=values.get("description", ""))
        return f"Created schedule {made.name}. Add a layer: who takes turns, and when they hand off."

    return await post_form(
        request, runtime, principal, "schedule", values, change, then=f"/oncall/schedules/{slug}",
        on_error=lambda error: _oncall_page(runtime, request, values=values, error=error))


# Calendars ----------------------------------------------------------------------------------------------------


def _calendar_reader(runtime: Runtime, request: Request) -> None:
    """A calendar download for a signed-in browser; calendar apps subscribe at the feed's secret URL instead
    (shown on the profile and the schedule page), never with an API token in the link."""
    with runtime.database.reading() as db:
        if principal_in(db, runtime, request) is None:
            raise SignInRequired(request.url.path)


def _calendar(body: bytes, name: str) -> Response:
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        **SECURITY_HEADERS, "Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{name}.ics"'})


@router.get("/oncall/schedules/{slug}.ics")
def schedule_ics(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    _calendar_reader(runtime, request)
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        body = ical.schedule_calendar(db=db, schedule=schedule, start=now - CALENDAR_BEHIND, days=CALENDAR_DAYS,
                                      now=now)
    return _calendar(body, f"oncall-{schedule.slug}")


@router.get("/oncall/users/{handle}.ics")
def user_ics(request: Request, handle: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    _calendar_reader(runtime, request)
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        user = accounts.find_person(db=db, who=handle)
        body = ical.user_calendar(db=db, user=user, start=now - CALENDAR_BEHIND, days=CALENDAR_DAYS, now=now)
    return _calendar(body, f"oncall-{user.handle}")


@router.get("/calendars/{kind}/{owner_id}/{secret}.ics")
def calendar_feed(kind: str, owner_id: str, secret: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    """A subscribed calendar: the secret URL is the only credential; a renewed feed's old URL is refused."""
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        owner = feeds.open_feed(db=db, kind=kind, owner_id=owner_id, secret=secret, key=runtime.secret_key)
        if isinstance(owner, User):
            body = ical.user_calendar(db=db, user=owner, start=now - CALENDAR_BEHIND, days=CALENDAR_DAYS, now=now)
            return _calendar(body, f"oncall-{owner.handle}")
        body = ical.schedule_calendar(db=db, schedule=owner, start=now - CALENDAR_BEHIND, days=CALENDAR_DAYS,
                                      now=now)
        return _calendar(body, f"oncall-{owner.slug}")


@router.post("/oncall/schedules/{slug}/calendar-feed")
async def renew_schedule_feed(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                              principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        schedule = schedules.get_schedule(db=db, ref=slug)
        feeds.renew_schedule_feed(db=db, actor=principal.actor, schedule=schedule)
        return "The schedule's calendar has a new URL: calendars subscribed to the old one stop updating."

    return await post_form(
        request, runtime, principal, "calendar-feed", values, change, then=f"/oncall/schedules/{slug}",
        on_error=lambda error: _schedule_page(runtime, request, slug, error=error))


# A schedule ---------------------------------------------------------------------------------------------------


def _first_day(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"'{text.strip()}' is not a date; use YYYY-MM-DD.", field="start") from None


def _days(text: str) -> int:
    return int(text) if is_count(text.strip()) else 0


def _schedule_page(runtime: Runtime, request: Request, slug: str, *, error: FormError | None = None) -> Response:
    now = runtime.clock.now()
    days_text = request.query_params.get("days", "")
    days = _days(days_text) if days_text else oncall_view.DEFAULT_DAYS
    first_day = _first_day(request.query_params.get("start", ""))
    with reading_as(request) as (db, principal):
        shown = oncall_view.schedule_page(db=db, ref=slug, now=now, first_day=first_day, days=days)
        feed_url = feeds.schedule_feed_url(db=db, schedule=shown.schedule, key=runtime.secret_key,
                                           base_url=runtime.settings.base_url) if can_act(principal) else ""
    zone = shown.schedule.time_zone
    start_day = as_utc(shown.timeline.start).astimezone(oncall_view.zone_of(zone)).date()
    begin = now.astimezone(oncall_view.zone_of(zone)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    defaults = {"start": local_input(begin, zone), "end": local_input(begin + timedelta(days=1), zone),
                "handoff_local": local_input(begin, zone)}
    return page(runtime, request, "oncall_schedule.html", {
        "principal": principal, "shown": shown, "schedule": shown.schedule, "timeline": shown.timeline,
        "zone": zone, "local": local_text, "defaults": defaults, "rotations": list(RotationKind),
        "weekdays": WEEKDAYS, "windows": oncall_view.WINDOWS, "days": days,
        "earlier": (start_day - timedelta(days=days)).isoformat(),
        "later": (start_day + timedelta(days=days)).isoformat(),
        "form_error": error, "can_act": can_act(principal), "is_admin": principal.actor.is_admin, "nav": "oncall",
        "feed_url": feed_url,
    }, error.status if error else 200)


@router.get("/oncall/schedules/{slug}")
def schedule_view(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _schedule_page(runtime, request, slug)


def _restrictions(values: dict[str, str]) -> list[dict[str, Any]]:
    """The layer form's one restriction window: ticked weekdays, from, until. Nothing ticked: none."""
    days = [n for n in range(7) if values.get(f"day{n}")]
    start, end = values.get("restrict_start", "").strip(), values.get("restrict_end", "").strip()
    if not days and not start and not end:
        return []
    window: dict[str, Any] = {"days": days}
    if start:
        window["start"] = start
    if end:
        window["end"] = end
    return [window]


def _hours(values: dict[str, str]) -> int | None:
    text = values.get("length_hours", "").strip()
    if values.get("rotation", "") != RotationKind.custom.value or not text:
        return None
    if not is_count(text):
        raise ValidationFailed("A custom rotation's length is a whole number of hours.", field="length_hours")
    return int(text)


@router.post("/oncall/schedules/{slug}/layers")
async def add_layer(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        schedule = schedules.get_schedule(db=db, ref=slug)
        layer = schedules.add_layer(db=db, actor=principal.actor, schedule=schedule,
                                    rotation=values.get("rotation", ""), handoff_local=values.get("handoff_local", ""),
                                    participants=_listed(values.get("participants", "")), name=values.get("name", ""),
                                    length_hours=_hours(values), restrictions=_restrictions(values))
        return f"Added layer {layer.name} to {schedule.name}"

    return await post_form(
        request, runtime, principal, "layer", values, change, then=f"/oncall/schedules/{slug}",
        on_error=lambda error: _schedule_page(runtime, request, slug, error=error))


@router.post("/oncall/schedules/{slug}/overrides")
async def add_override(request: Request, slug: str, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        principal.actor.require(AccessRole.responder)  # before reading the times: say "viewer" first
        schedule = schedules.get_schedule(db=db, ref=slug)
        zone = schedule.time_zone
        start = parse_moment(values.get("start", ""), zone, "start_at")
        end = parse_moment(values.get("end", ""), zone, "end_at")
        replaces = values.get("replaces", "").strip() or None
        made = schedules.add_override(db=db, actor=principal.actor, schedule=schedule,
                                      user=values.get("user", ""), start_at=start, end_at=end, replaces=replaces)
        who = accounts.get_user(db=db, user_id=made.user_id)
        return (f"@{who.handle if who else '?'} covers {schedule.name} from {local_text(start, zone)} "
                f"until {local_text(end, zone)} ({zone})")

    return await post_form(
        request, runtime, principal, "override", values, change, then=f"/oncall/schedules/{slug}",
        on_error=lambda error: _schedule_page(runtime, request, slug, error=error))


@router.post("/oncall/schedules/{slug}/overrides/{override_id}/remove")
async def remove_override(request: Request, slug: str, override_id: RowId, runtime: Runtime = Depends(get_runtime),
                          principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        schedule = schedules.get_schedule(db=db, ref=slug)
        override = schedules.get_override(db=db, override_id=override_id)
        if override.schedule_id != schedule.id:
            raise NotFound(f"No override #{override_id} on {schedule.name}.", field="override")
        covering = db.get(User, override.user_id)
        schedules.remove_override(db=db, actor=principal.actor, override=override)
        return f"Removed the override: @{covering.handle if covering else '?'} no longer covers that period"

    return await post_form(
        request, runtime, principal, f"remove:{override_id}", values, change,
        then=f"/oncall/schedules/{slug}",
        on_error=lambda error: _schedule_page(runtime, request, slug, error=error))
