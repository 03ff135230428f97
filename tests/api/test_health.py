"""The health check asks the database; a store that does not answer is a 503 with Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.config import Settings
from warroom.db.engine import Database
from warroom.runtime import Runtime

from .conftest import assert_problem


def test_health_answers_without_a_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_an_unreachable_database_is_a_503_with_retry_after(tmp_path, clock):
    # A real store that cannot be opened: SQLite pointed at a directory.
    folder = tmp_path / "not-a-database"
    folder.mkdir()
    url = f"sqlite:///{folder}"
    settings = Settings(data_dir=tmp_path, database_url=url, secret_key="k", seed_demo=False, run_engine=False)
    runtime = Runtime(settings, Database(url), clock)
    try:
        with TestClient(create_app(runtime, run_engine=False)) as client:
            response = client.get("/api/v1/health")
    finally:
        runtime.database.dispose()
    body = assert_problem(response, 503, contains="database is not answering")
    assert body["database"] == "unreachable"
    assert response.headers["retry-after"] == "5"
