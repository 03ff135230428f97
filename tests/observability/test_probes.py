"""/livez, /readyz and the existing /api/v1/health: what an orchestrator and a load balancer are told."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.core.clock import FakeClock
from warroom.db import migrate
from warroom.db.engine import Database
from warroom.runtime import Runtime

from ..support import free_port


def _ready(client: TestClient) -> tuple[int, dict[str, bool], str]:
    answer = client.get("/readyz")
    body = answer.json()
    checks = {check["name"]: check["ok"] for check in body["checks"]}
    return answer.status_code, checks, body.get("detail", "")


def test_livez_answers_without_reading_anything(client: TestClient):
    answer = client.get("/livez")
    assert (answer.status_code, answer.json()["status"]) == (200, "ok")


def test_readyz_waits_for_an_engine_heartbeat_and_fails_when_it_goes_stale(runtime: Runtime, client: TestClient,
                                                                          clock: FakeClock):
    status, checks, detail = _ready(client)
    assert (status, checks) == (503, {"database": True, "migrations": True, "engine": False})
    assert "no engine has ever run" in detail
    assert client.get("/readyz").headers["retry-after"] == "5"
    engine = runtime.engine()
    engine.tick()
    assert _ready(client)[:2] == (200, {"database": True, "migrations": True, "engine": True})
    clock.advance(timedelta(seconds=61))  # WARROOM_READY_ENGINE_SECONDS is 60: no page has gone out since
    status, checks, detail = _ready(client)
    assert (status, checks["engine"]) == (503, False)
    assert "61 s old" in detail
    engine.tick()  # the engine ticks again: ready again
    assert _ready(client)[0] == 200
    engine.close()


def test_readyz_without_the_engine_check_and_with_a_migration_missing(runtime: Runtime, client: TestClient):
    runtime.settings.ready_engine_seconds = 0  # an API replica whose operator watches engines elsewhere
    assert _ready(client)[:2] == (200, {"database": True, "migrations": True})
    newest = migrate.head()
    with runtime.database.writing() as db:
        db.execute(sa.text("UPDATE alembic_version SET version_num = '0001' WHERE version_num = :newest"),
                   {"newest": newest})
    try:
        status, checks, detail = _ready(client)
        assert (status, checks["migrations"]) == (503, False)
        assert f"lacks migration {newest}" in detail and "warroom db upgrade" in detail
    finally:  # on PostgreSQL the run's database outlives the test (only its rows are emptied): put the version back
        with runtime.database.writing() as db:
            db.execute(sa.text("UPDATE alembic_version SET version_num = :newest"), {"newest": newest})


def test_readyz_and_health_say_503_when_the_database_does_not_answer(runtime: Runtime, client: TestClient):
    shared = runtime.database
    runtime.database = Database(f"postgresql://postgres@127.0.0.1:{free_port()}/gone")  # nothing listens there
    answer = client.get("/readyz")
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "5")
    assert answer.json()["checks"] == [{"name": "database", "ok": False, "detail": "the database is not answering"}]
    assert client.get("/api/v1/health").status_code == 503
    assert client.get("/livez").status_code == 200  # alive: restarting it would not bring the database back
    runtime.database.dispose()
    runtime.database = shared


def test_the_probes_and_metrics_stay_out_of_the_api_document(client: TestClient):
    """They are for orchestrators and Prometheus; /readyz answers 503 by design, which the API fuzz run would
    report as a server error."""
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/livez", "/readyz", "/metrics"}.isdisjoint(paths) and "/api/v1/health" in paths
