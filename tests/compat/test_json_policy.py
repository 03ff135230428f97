"""Issue 11, defect 3 on the ingest endpoints: JSON outside Warroom's policy is each surface's 400, never a 500.

The fast path (``IngestFastPath``) hands these bodies straight to their endpoint; nested JSON raised
RecursionError there, before the key was looked at, and a lone surrogate could not be stored.
"""

from __future__ import annotations

import pytest

from .conftest import stored

DEEP = b"[" * 100_000 + b"]" * 100_000
LONE = b'{"message": "Disk \\ud800 full", "summary": "x"}'


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
@pytest.mark.parametrize("body", [DEEP, LONE, b'{"a": NaN}'], ids=["100000-deep", "lone-surrogate", "NaN"])
def test_pagerduty_events_outside_the_policy_are_its_400(client, runtime, integration_keys, body, path):
    integration_keys.make("pagerduty")
    before = stored(runtime)
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["status"] == "Unrecognized object"
    assert any(e.startswith("JSON parse error: ") for e in answer["errors"]), answer
    assert stored(runtime) == before


@pytest.mark.parametrize("body", [DEEP, LONE], ids=["100000-deep", "lone-surrogate"])
def test_opsgenie_alerts_outside_the_policy_are_its_400(client, runtime, integration_keys, body):
    key = integration_keys.make("opsgenie")
    before = stored(runtime)
    response = client.post("/v2/alerts", content=body,
                           headers={"content-type": "application/json", "Authorization": f"GenieKey {key}"})
    assert response.status_code == 400, response.text
    assert "not valid JSON: " in response.json()["message"]
    assert stored(runtime) == before


@pytest.mark.parametrize("body", [DEEP, LONE], ids=["100000-deep", "lone-surrogate"])
def test_alertmanager_bodies_outside_the_policy_are_a_400(client, runtime, integration_keys, body):
    key = integration_keys.make("alertmanager")
    before = stored(runtime)
    response = client.post("/api/v1/integrations/alertmanager", content=body,
                           headers={"content-type": "application/json", "Authorization": f"Bearer {key}"})
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["title"] == "Invalid JSON"
    assert "not valid JSON: " in problem["detail"]
    assert stored(runtime) == before


def test_without_a_key_the_answer_is_the_same_400(client):
    """The body is read before the key is looked up: no key changes nothing about bad JSON."""
    for path in ("/v2/enqueue", "/v2/change/enqueue", "/v2/alerts", "/api/v1/integrations/alertmanager"):
        response = client.post(path, content=DEEP, headers={"content-type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert "nested deeper than 64 levels at line 1 column 65" in response.text
