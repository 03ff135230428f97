"""A store outage answers 503 with Retry-After, never a 500, and a non-JSON body says what to send."""

from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.db.engine import Database
from warroom.runtime import Runtime


def test_every_endpoint_answers_503_with_retry_after_when_the_store_is_down(settings, clock):
    # Nothing listens on port 1: every connection is refused, as when the database is down.
    store = Database("postgresql://postgres@127.0.0.1:1/warroom", connect_args={"connect_timeout": 2})
    down = Runtime(settings, store, clock)
    with TestClient(create_app(down, run_engine=False)) as client:
        for method, path in [("get", "/api/v1/incidents"), ("post", "/api/v1/incidents"),
                             ("get", "/api/v1/health")]:
            response = client.request(method.upper(), path, headers={"Authorization": "Bearer wr_x"},
                                      json={"title": "x", "severity": "major"})
            assert response.status_code == 503, (path, response.text)
            assert response.headers["retry-after"].isdigit()
            assert response.headers["content-type"].startswith("application/problem+json")


def test_a_form_encoded_body_is_told_to_send_json(client, factory):
    token = factory.token(factory.user("bob"))
    response = client.post("/api/v1/incidents", content=b"title=x&severity=major",
                           headers={"Authorization": f"Bearer {token}",
                                    "content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["detail"]
