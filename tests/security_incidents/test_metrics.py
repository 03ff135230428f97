"""/metrics and the logs on a private incident's day: its title, its page and its reference reach no metric
label, and the access log names routes by their paths, never by what anyone wrote."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from warroom.runtime import Runtime

from .conftest import SECRET
from .test_alerts import PAGE, leaks, paged  # noqa: F401  (fixture, registered by importing it)

TOKEN = "privacy-scrape-token"


@pytest.fixture
def busy(runtime: Runtime, callers, incidents, paged) -> int:  # noqa: F811
    """INC-2's people talk in its room and read it; erin's page goes out; everyone else is refused."""
    callers["bob"].ok("post", "/incidents/INC-2/messages", {"text": "Rotating the key now"}, status=201)
    for who in ("bob", "sam", "alice", "rita", "vic"):
        callers[who].get("/incidents/INC-2")
        callers[who].get(f"/alerts/{paged}")
    engine = runtime.engine()
    for _ in range(3):
        engine.tick()
    engine.close()
    return paged


def test_no_metric_label_or_value_carries_the_private_incident(runtime: Runtime, client: TestClient, busy,
                                                               caplog: pytest.LogCaptureFixture):
    runtime.settings.metrics_token = TOKEN
    with caplog.at_level(logging.INFO, logger="warroom"):
        client.get(f"/api/v1/incidents/INC-2?q={SECRET}")
        text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert "warroom_http_request_seconds_count" in text and "warroom_engine_job_seconds_count" in text
    assert not leaks(text), [line for line in text.splitlines() if leaks(line)]
    assert SECRET not in text and PAGE not in text
    assert 'route="/api/v1/incidents/{ref}"' in text
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name == "warroom.access")
    assert "/api/v1/incidents/INC-2 " in logged  # the path as requested (a reference, not a title)...
    assert SECRET not in logged and "q=" not in logged  # ...without its query string
