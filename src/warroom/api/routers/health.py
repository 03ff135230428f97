"""Is this Warroom able to serve? Asks the database to read and to write, so a load balancer sees a store
outage, a full disk included (where reads still work and every write fails)."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from warroom.api import problems as problem_json
from warroom.api.deps import get_runtime
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import problems
from warroom.db import faults
from warroom.runtime import Runtime

log = logging.getLogger("warroom.api")
router = APIRouter(tags=["health"], route_class=JsonBodyRoute)
RETRY_AFTER_SECONDS = 5
WRITE_WAIT_SECONDS = 2  # PostgreSQL: how long the probe write may wait for a row lock


class HealthOut(BaseModel):
    status: str
    database: str


def database_answers(runtime: Runtime) -> bool:
    try:
        runtime.database.ping()
    except sa.exc.SQLAlchemyError as error:
        faults.outages.failed(error, "health check")
        return False
    return True


def database_writes(runtime: Runtime) -> bool:
    """Commit a write that changes nothing: the version row every Warroom database has, set to itself.

    A rolled-back write would prove little: SQLite keeps it in memory and never touches the disk.
    """
    try:
        with runtime.database.writing() as db:
            if runtime.database.dialect == "postgresql":
                db.execute(sa.text(f"SET LOCAL lock_timeout = '{WRITE_WAIT_SECONDS}s'"))  # not behind a migration
            db.execute(sa.text("UPDATE alembic_version SET version_num = version_num"))
    except sa.exc.SQLAlchemyError as error:
        faults.outages.failed(error, "health check")
        return False
    return True


@router.get("/health", summary="Liveness, and whether the database reads and writes (no sign-in needed)",
            response_model=HealthOut, responses=problems(503))
def health(runtime: Runtime = Depends(get_runtime)) -> HealthOut | JSONResponse:
    if not database_answers(runtime):
        return _failing("The database is not answering; try again shortly.", database="unreachable")
    if not database_writes(runtime):
        return _failing("The database answers but cannot write (a full or failing disk?); nothing can be "
                        "accepted until it can.", database="failing")
    return HealthOut(status="ok", database="ok")


def _failing(detail: str, *, database: str) -> JSONResponse:
    response = problem_json.problem(503, "Service unavailable", detail, database=database, store="failing")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
