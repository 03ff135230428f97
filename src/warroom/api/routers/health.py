"""Is this Warroom able to serve? Asks the database to read and to write, so a load balancer sees a store
outage, a full disk included (where reads still work and every write fails).

At the root beside it: /livez (the process answers), /readyz (database, migrations, a fresh engine heartbeat)
and /metrics for Prometheus (docs/monitoring.md)."""

from __future__ import annotations

import hmac
import logging

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from warroom.api import problems as problem_json
from warroom.api.deps import get_runtime
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import problems
from warroom.core.proxies import client_address
from warroom.db import faults
from warroom.observability.collect import render
from warroom.observability.readiness import readiness
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


# Probes and metrics for orchestrators and Prometheus: at the root, beside the API (register_probes) ---------

# Not in the OpenAPI document: they are for orchestrators and Prometheus, not API clients (docs/monitoring.md), and
# /readyz answers 503 by design whenever no engine runs.
probes = APIRouter(tags=["health"], route_class=JsonBodyRoute, include_in_schema=False)
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    status: str
    checks: list[CheckOut]


@probes.get("/livez", summary="Liveness: the process answers (reads nothing; no sign-in needed)",
            response_model=HealthOut)
def livez() -> HealthOut:
    return HealthOut(status="ok", database="not checked")


@probes.get("/readyz", summary="Readiness: the database answers, migrations are current, an engine heartbeat is "
            "fresh (WARROOM_READY_ENGINE_SECONDS); 503 with each failing check otherwise",
            response_model=ReadyOut, responses=problems(503))
def readyz(runtime: Runtime = Depends(get_runtime)) -> ReadyOut | JSONResponse:
    checks = [CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in
              readiness(runtime.database, runtime.clock, runtime.settings.ready_engine_seconds)]
    failing = [check for check in checks if not check.ok]
    if not failing:
        return ReadyOut(status="ok", checks=checks)
    response = problem_json.problem(503, "Not ready", "; ".join(f"{c.name}: {c.detail}" for c in failing),
                                    checks=[c.model_dump() for c in checks])
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@probes.get("/metrics", summary="Prometheus metrics (bearer WARROOM_METRICS_TOKEN; without one, this machine only)",
            response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **problems(401, 403)})
def prometheus_metrics(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    refusal = _metrics_refusal(request, runtime)
    if refusal is not None:
        return refusal
    return Response(render(runtime.database, runtime.clock), media_type=CONTENT_TYPE_LATEST)


def _metrics_refusal(request: Request, runtime: Runtime) -> Response | None:
    token = runtime.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        response = problem_json.problem(401, "Unauthorized", "Send the metrics token as "
                                        "'Authorization: Bearer <WARROOM_METRICS_TOKEN>'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    peer = request.client.host if request.client else ""
    client = client_address(peer, request.headers.getlist("x-forwarded-for"),
                            runtime.settings.trusted_proxy_networks())
    if client in LOOPBACK:
        return None
    return problem_json.problem(403, "Forbidden", "Metrics are open to this machine only; set "
                                "WARROOM_METRICS_TOKEN and scrape with that bearer token from elsewhere.")


def register_probes(app: FastAPI) -> None:
    """/livez, /readyz and /metrics at the root, where orchestrators and Prometheus look for them."""
    app.include_router(probes)
