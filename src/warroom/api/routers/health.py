"""Is this Warroom able to serve? Asks the database, so a load balancer sees a store outage."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from warroom.api import problems as problem_json
from warroom.api.deps import get_runtime
from warroom.api.routers.common import problems
from warroom.runtime import Runtime

log = logging.getLogger("warroom.api")
router = APIRouter(tags=["health"])
RETRY_AFTER_SECONDS = 5


class HealthOut(BaseModel):
    status: str
    database: str


def database_answers(runtime: Runtime) -> bool:
    try:
        runtime.database.ping()
    except sa.exc.SQLAlchemyError:
        log.warning("health check: the database did not answer", exc_info=True)
        return False
    return True


@router.get("/health", summary="Liveness and database reachability (no sign-in needed)",
            response_model=HealthOut, responses=problems(503))
def health(runtime: Runtime = Depends(get_runtime)) -> HealthOut | JSONResponse:
    if database_answers(runtime):
        return HealthOut(status="ok", database="ok")
    response = problem_json.problem(503, "Service unavailable",
                                    "The database is not answering; try again shortly.", database="unreachable")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
