"""Bodies over the server's size limit are refused in the caller's own error shape: PagerDuty's
``{status, message, errors}`` and Opsgenie's ``{message, took, requestId}``; the rest of the API keeps
problem+json. Nothing is written either way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import stored

TOO_BIG = b"x" * 1_000_001


def chunks() -> Iterator[bytes]:
    """The same body with no Content-Length (chunked), so the limit is found while it streams in."""
    yield from (TOO_BIG[i:i + 100_000] for i in range(0, len(TOO_BIG), 100_000))


@pytest.mark.parametrize("body", [TOO_BIG, "chunked"], ids=["declared", "chunked"])
@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/enqueue/", "/v2/change/enqueue"])
def test_pagerduty_senders_get_pagerduty_s_shape(client, runtime, path, body):
    before = stored(runtime)
    response = client.post(path, content=TOO_BIG if body != "chunked" else chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["message"] == "Event object is too large"
    assert "over 1000000 bytes" in answer["errors"][0]
    assert stored(runtime) == before


@pytest.mark.parametrize("body", [TOO_BIG, "chunked"], ids=["declared", "chunked"])
@pytest.mark.parametrize("path", ["/v2/alerts", "/v2/alerts/abc/notes", "/v2/heartbeats"])
def test_opsgenie_callers_get_opsgenie_s_shape(client, runtime, path, body):
    before = stored(runtime)
    response = client.post(path, content=TOO_BIG if body != "chunked" else chunks(),
                           headers={"Authorization": "GenieKey whatever", "content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"message", "took", "requestId"}
    assert response.headers["x-request-id"] == answer["requestId"]  # one id, as on Opsgenie's other answers
    assert "over 1000000 bytes" in answer["message"]
    assert stored(runtime) == before


def test_the_rest_of_the_api_keeps_problem_json(client):
    response = client.post("/api/v1/integrations/alertmanager", content=TOO_BIG)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Request too large"
