"""Insights: every chart's figures as JSON, or one chart's as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from fastapi.responses import Response

from warroom.api.deps import Principal, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import problems
from warroom.insights import service as insights
from warroom.insights.schemas import InsightsOut, OneChartOut
from warroom.runtime import Runtime

router = APIRouter(tags=["insights"], route_class=JsonBodyRoute)

Weeks = Annotated[str, Query(description=f"How many weeks back, this one included (1 to {insights.MAX_WEEKS}; "
                                         f"default {insights.DEFAULT_WEEKS}).")]
TeamQ = Annotated[str, Query(description="Only incidents reported by, or with a role held by, this team's members.")]
SeverityQ = Annotated[str, Query(description="critical or major.")]
CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                                              "description": "The chart's figures, a header row then one row "
                                                             "per category."}}


def _compute(runtime: Runtime, principal: Principal, background: BackgroundTasks, weeks: str, team: str,
             severity: str) -> insights.Insights:
    """The figures; once the answer is sent, the past weeks they had to compute from the incidents are kept."""
    with runtime.database.reading() as db:
        filters = insights.parse_filters(db=db, weeks=weeks, team=team, severity=severity)
        result = insights.compute(db=db, actor=principal.actor, now=runtime.clock.now(), filters=filters)
    if result.stale_weeks:
        background.add_task(insights.keep, writing=runtime.database.writing, result=result)
    return result


@router.get("/insights", summary="Every insights chart's figures for a window of weeks", response_model=InsightsOut,
            responses=problems(401, 403, 404, 422))
def all_insights(background: BackgroundTasks, weeks: Weeks = "", team: TeamQ = "", severity: SeverityQ = "",
                 runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)) -> InsightsOut:
    return InsightsOut.of(_compute(runtime, principal, background, weeks, team, severity))


@router.get("/insights/{chart}.csv", summary="One chart's figures as CSV", response_class=Response,
            responses={**CSV, **problems(401, 403, 404, 422)})
def insight_csv(chart: str, background: BackgroundTasks, weeks: Weeks = "", team: TeamQ = "",
                severity: SeverityQ = "", runtime: Runtime = Depends(get_runtime),
                principal: Principal = Depends(reader)) -> Response:
    key = insights.chart_key(chart)
    result = _compute(runtime, principal, background, weeks, team, severity)
    return Response(result.charts[key].csv(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="warroom-{key}.csv"'})


@router.get("/insights/{chart}", summary="One chart's figures (incidents, mtta, mttr, false_positives, "
                                         "status_time, followups, services)",
            response_model=OneChartOut, responses=problems(401, 403, 404, 422))
def one_insight(chart: str, background: BackgroundTasks, weeks: Weeks = "", team: TeamQ = "",
                severity: SeverityQ = "", runtime: Runtime = Depends(get_runtime),
                principal: Principal = Depends(reader)) -> OneChartOut:
    key = insights.chart_key(chart)
    return OneChartOut.of(_compute(runtime, principal, background, weeks, team, severity), key)
