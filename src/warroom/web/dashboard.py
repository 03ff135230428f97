"""The dashboard: every incident, past and present, with filters, search and headline figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import is_count
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.dashboard import service as dashboard
from warroom.dashboard.service import IncidentFilters
from warroom.first_run import service as first_run
from warroom.incidents import service as incidents
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

PER_PAGE = 50
OPEN_NOW_SHOWN = 20  # the open incidents listed first, before the figures and the full list
FILTER_NAMES = ("q", "status", "active", "severity", "lead", "from", "to", "false_positive", "customer_impact")

router = APIRouter(include_in_schema=False)


def _yes_no(value: str, name: str) -> bool | None:
    if value in ("", "any"):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise ValidationFailed(f"'{name}' is yes, no or any.", field=name)


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"'{value}' is not a date; use YYYY-MM-DD.", field=name) from None


def parse_filters(params: dict[str, str]) -> IncidentFilters:
    """The filter form's fields as the dashboard service's filters; a bad value is a form error."""
    start, end = _day(params.get("from", ""), "from"), _day(params.get("to", ""), "to")
    return IncidentFilters(
        status=incidents.parse_status(params["status"]) if params.get("status") else None,
        active=_yes_no(params.get("active", ""), "active"),
        severity=incidents.parse_severity(params["severity"]) if params.get("severity") else None,
        lead=params.get("lead", "").strip().lstrip("@") or None,
        declared_from=datetime.combine(start, datetime.min.time(), UTC) if start else None,
        # "to" is the last day shown, so the bound is the midnight after it.
        declared_to=datetime.combine(end, datetime.min.time(), UTC) + timedelta(days=1) if end else None,
        false_positive=_yes_no(params.get("false_positive", ""), "false_positive"),
        customer_impact=_yes_no(params.get("customer_impact", ""), "customer_impact"),
        search=params.get("q", "").strip() or None,
    )


@dataclass(frozen=True)
class Pages:
    number: int
    count: int
    total: int
    query: dict[str, str]

    def url(self, number: int) -> str:
        return "/?" + urlencode({**self.query, "page": str(number)})


@dataclass(frozen=True)
class Listing:
    rows: list[dashboard.IncidentRow]
    total: int
    error: str


def _listing(db: Session, params: dict[str, str], number: int, principal: Principal) -> Listing:
    try:
        filters = parse_filters(params)
    except WarroomError as problem:
        return Listing([], 0, problem.message)
    rows, total = dashboard.list_incidents(db=db, filters=filters, limit=PER_PAGE, offset=(number - 1) * PER_PAGE,
                                           viewer=principal.actor)
    return Listing(rows, total, "")


def _open_now(db: Session, principal: Principal) -> list[dashboard.IncidentRow]:
    rows, _ = dashboard.list_incidents(db=db, filters=IncidentFilters(active=True), limit=OPEN_NOW_SHOWN,
                                       viewer=principal.actor)
    return rows


def _dashboard(runtime: Runtime, request: Request, first_run_error: FormError | None = None) -> Response:
    params = {name: request.query_params.get(name, "").strip() for name in FILTER_NAMES}
    raw_page = request.query_params.get("page", "1")
    number = int(raw_page) if is_count(raw_page) and int(raw_page) > 0 else 1
    query = {k: v for k, v in params.items() if v}
    with reading_as(request) as (db, principal):
        listing = _listing(db, params, number, principal)
        headline = dashboard.headline_figures(db=db, now=runtime.clock.now(), viewer=principal.actor)
        open_now = _open_now(db, principal) if not query and number == 1 and headline.open_now else []
        setup = first_run.shown_to(db=db, settings=runtime.settings, actor=principal.actor,
                                   chat_platforms=runtime.configured_chat_platforms())
    pages = Pages(number, max(1, -(-listing.total // PER_PAGE)), listing.total, query)
    status = first_run_error.status if first_run_error else 422 if listing.error else 200
    return page(runtime, request, "dashboard.html", {
        "principal": principal, "rows": listing.rows, "total": listing.total, "pages": pages, "params": params,
        "filtering": bool(query), "headline": headline, "error": listing.error, "nav": "incidents",
        "open_now": open_now, "first_run": setup, "form_error": first_run_error,
    }, status)


@router.get("/")
def dashboard_page(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _dashboard(runtime, request)


@router.post("/first-run/dismiss")
async def dismiss_first_run(request: Request, runtime: Runtime = Depends(get_runtime),
                            principal: Principal = Depends(web_principal)) -> Response:
    """An admin hides the first-run checklist for everyone; its steps stay where they are."""
    values = await read_form(request)

    def change(db: Session) -> str:
        first_run.dismiss(db=db, actor=principal.actor)
        return "First-run checklist dismissed. Its steps stay under Admin and On call."

    return await post_form(request, runtime, principal, "first-run", values, change, then="/",
                                   on_error=lambda error: _dashboard(runtime, request, error))
