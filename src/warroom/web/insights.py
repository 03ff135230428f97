"""The insights page: charts of the last weeks' incidents, and each chart's figures as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.background import BackgroundTask

from warroom.accounts import service as accounts
from warroom.api.deps import get_runtime
from warroom.core.errors import NotFound, WarroomError
from warroom.insights import service as insights
from warroom.runtime import Runtime
from warroom.web.auth import reading_as
from warroom.web.templating import SECURITY_HEADERS, page

router = APIRouter(include_in_schema=False)


def csv_response(chart: insights.Chart, filename: str) -> Response:
    return Response(chart.csv(), media_type="text/csv; charset=utf-8", headers={
        **SECURITY_HEADERS, "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/insights")
def insights_page(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    params = {name: request.query_params.get(name, "").strip() for name in ("weeks", "team", "severity")}
    error = ""
    result = None
    with reading_as(request) as (db, principal):
        teams = accounts.list_teams(db=db)
        try:
            filters = insights.parse_filters(db=db, **params)
        except WarroomError as problem:
            error, status = problem.message, problem.status
        else:
            result = insights.compute(db=db, actor=principal.actor, now=runtime.clock.now(), filters=filters)
    query = urlencode(result.filters.query()) if result else ""
    response = page(runtime, request, "insights.html", {
        "principal": principal, "result": result, "params": params, "teams": teams, "error": error,
        "query": query, "definitions": insights.DEFINITIONS, "max_weeks": insights.MAX_WEEKS, "nav": "insights",
    }, status if error else 200)
    return keeping(runtime, result, response)


def keeping(runtime: Runtime, result: insights.Insights | None, response: Response) -> Response:
    """Once the response is sent, keep the past weeks the figures had to compute from the incidents."""
    if result is not None and result.stale_weeks:
        response.background = BackgroundTask(insights.keep, writing=runtime.database.writing, result=result)
    return response


@router.get("/insights/{name}")
def insights_csv(request: Request, name: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    """``/insights/<chart>.csv``: one chart's figures, with the page's filters."""
    if not name.endswith(".csv"):
        raise NotFound(f"No page /insights/{name[:40]}; a chart's figures are at /insights/<chart>.csv.")
    key = insights.chart_key(name.removesuffix(".csv"))
    with reading_as(request) as (db, principal):
        filters = insights.parse_filters(db=db, **{n: request.query_params.get(n) for n in ("weeks", "team",
                                                                                         "severity")})
        result = insights.compute(db=db, actor=principal.actor, now=runtime.clock.now(), filters=filters)
    return keeping(runtime, result, csv_response(result.charts[key], f"warroom-{key}.csv"))
