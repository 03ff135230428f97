"""A store outage at any ingest door answers 503 with Retry-After (in that door's own shape), never a 2xx."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.db.engine import Database
from warroom.runtime import Runtime

EVENT = {"routing_key": "0" * 32, "event_action": "trigger",
         "payload": {"summary": "s", "source": "h", "severity": "info"}}
WEBHOOK = {"version": "4", "groupKey": "g", "status": "firing", "alerts": [{"status": "firing"}]}
GENIE = {"Authorization": "GenieKey 7d3a3c2b-0000-4000-8000-000000000000"}


def dead_store(kind: str, tmp_path) -> Database:
    # Nothing listens on port 1 (PostgreSQL down); a directory is not a database file (SQLite cannot open it).
    if kind == "postgresql":
        return Database("postgresql://postgres@127.0.0.1:1/warroom", connect_args={"connect_timeout": 2})
    return Database(f"sqlite:///{tmp_path}")


@pytest.mark.parametrize("store", ["postgresql", "sqlite"])
def test_every_ingest_answers_503_with_retry_after_when_the_store_is_down(settings, clock, tmp_path, store):
    database = dead_store(store, tmp_path)
    down = Runtime(settings, database, clock)
    with TestClient(create_app(down, run_engine=False)) as client:
        calls = [
            ("POST", "/v2/enqueue", EVENT, {}),
            ("POST", "/v2/change/enqueue", {"routing_key": "0" * 32, "payload": {"summary": "Deploy v2"}}, {}),
            ("POST", "/v2/alerts", {"message": "x"}, GENIE),
            ("POST", "/v2/alerts/a/close?identifierType=alias", {}, GENIE),
            ("GET", "/v2/heartbeats/backup/ping", None, GENIE),
            ("GET", "/v2/schedules/1/on-calls", None, GENIE),
            ("POST", "/api/v1/integrations/alertmanager", WEBHOOK, {"Authorization": "Bearer wrk_x"}),
        ]
        for method, path, body, headers in calls:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"].isdigit(), path
            assert response.json(), path
    database.dispose()
