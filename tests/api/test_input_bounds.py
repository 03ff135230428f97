"""Issue 11, defect 3: no request makes a 5xx from its input alone.

Integers past what the stores hold, lone UTF-16 surrogates and JSON nested without end are refused with a
clear 4xx that names the problem, on the API and on the web pages, and nothing is written. The OpenAPI
document says which operations answer 415 (and the other answers the app gives around the routes), and
that is what they do.
"""

from __future__ import annotations

from typing import Any

import pytest

from warroom.core.bounds import MAX_INT

from ..factories import PASSWORD
from .conftest import assert_problem, declare, stored

HUGE = 2**63  # one past SQLite's INTEGER: bound as a parameter it raised OverflowError (a 500)
PAST_ID = MAX_INT + 1  # one past a 32-bit id column


@pytest.fixture
def ref(team) -> str:
    return str(declare(team.as_bob, customer_impact=True)["incident"]["ref"])


# (method, path, field the answer names): query offsets and cursors, path ids.
TOO_BIG: list[tuple[str, str, str]] = [
    ("get", "/incidents?offset={n}", "query.offset"),
    ("get", "/users?offset={n}", "query.offset"),
    ("get", "/alerts?offset={n}", "query.offset"),
    ("get", "/announcements?before={n}", "query.before"),
    ("get", "/audit?before={n}", "query.before"),
    ("get", "/incidents/{ref}/timeline?before={n}", "query.before"),
    ("get", "/incidents/{ref}/timeline?after={n}", "query.after"),
    ("post", "/jobs/{n}/retry", "path.job_id"),
    ("delete", "/tokens/{n}", "path.token_id"),
    ("put", "/incidents/{ref}/pins/{n}", "path.entry_id"),
    ("post", "/incidents/{ref}/public-updates/{n}/publish", "path.update_id"),
    ("delete", "/incidents/{ref}/public-updates/{n}", "path.update_id"),
    ("get", "/announcement-days/{n}", "path.day_id"),
    ("delete", "/integration-keys/{n}", "path.key_id"),
]


@pytest.mark.parametrize(("method", "path", "field"), TOO_BIG, ids=[f"{m}-{p}" for m, p, _ in TOO_BIG])
def test_integers_past_the_stores_are_a_422_naming_the_parameter(team, runtime, ref, method, path, field):
    before = stored(runtime)
    for number in (HUGE, PAST_ID, -HUGE):
        url = f"/api/v1{path.format(n=number, ref=ref)}"
        response = team.as_alice.client.request(method.upper(), url, headers=team.as_alice.headers,
                                                json={} if method in ("post", "put") else None)
        assert_problem(response, 422, field=field)
    assert stored(runtime) == before


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/schedules/{slug}/overrides", {"user": HUGE, "start_at": "2026-12-08T09:00:00Z",
                                     "end_at": "2026-12-08T17:00:00Z"}, "user"),
    ("/alerts", {"message": "Disk full", "responders": [{"type": "user", "id": HUGE}]}, "id"),
    ("/announcement-days", {"title": "Launch", "kind": "launch", "time_zone": "UTC", "owner": "@alice",
                            "date": "2026-12-10", "reminder_minutes": HUGE}, "reminder_minutes"),
])
def test_integers_past_the_stores_in_a_body_are_a_422(team, runtime, path, body, field):
    before = stored(runtime)
    response = team.as_alice.post(path.format(slug="primary"), body)
    problem = assert_problem(response, 422)
    assert any(field in e["field"].split(".") for e in problem["errors"]), problem
    assert "less than or equal to" in problem["detail"]
    assert stored(runtime) == before


def test_the_bound_is_in_the_openapi_document(client):
    document = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/incidents"]["get"]["parameters"]}
    assert params["offset"]["maximum"] == MAX_INT
    retry = document["paths"]["/api/v1/jobs/{job_id}/retry"]["post"]["parameters"][0]["schema"]
    assert (retry["minimum"], retry["maximum"]) == (1, MAX_INT)


LONE = '"Search \\ud800 down"'  # a JSON escape of half a UTF-16 pair: it cannot become text


@pytest.mark.parametrize(("path", "template"), [
    ("/incidents", '{"title": %s, "severity": "critical"}'),
    ("/incidents/{ref}/messages", '{"text": %s}'),
    ("/commands", '{"text": "/incident update " , "incident": "{ref}", "x": %s}'),
    ("/commands", '{"text": %s, "incident": "{ref}"}'),
    ("/incidents/{ref}/updates", '{"kind": "update", "text": %s}'),
])
def test_a_lone_surrogate_is_a_400_saying_where(team, runtime, ref, path, template):
    before = stored(runtime)
    body = (template % LONE).replace("{ref}", ref)
    response = team.as_bob.client.post(f"/api/v1{path.format(ref=ref)}", content=body.encode(),
                                       headers={**team.as_bob.headers, "content-type": "application/json"})
    problem = assert_problem(response, 400, contains="lone surrogate \\ud800 at line 1 column")
    assert problem["title"] == "Invalid JSON"
    assert stored(runtime) == before


def test_a_surrogate_pair_is_text(team, ref):
    body = b'{"text": "rolled back \\ud83d\\ude80"}'
    response = team.as_bob.client.post(f"/api/v1/incidents/{ref}/messages", content=body,
                                       headers={**team.as_bob.headers, "content-type": "application/json"})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 65 + b"1" + b"}" * 65,
                                  b'{"title": NaN}', b"\xff\xfe{}"],
                         ids=["100000-deep", "65-deep", "NaN", "not-utf8"])
def test_json_outside_the_policy_is_a_400(team, runtime, body):
    before = stored(runtime)
    response = team.as_bob.client.post("/api/v1/incidents", content=body,
                                       headers={**team.as_bob.headers, "content-type": "application/json"})
    assert_problem(response, 400, contains="not valid JSON: ")
    assert stored(runtime) == before


def _json_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "application/json" in operation.get("requestBody", {}).get("content", {})]


def test_every_json_operation_refuses_a_lone_surrogate_with_a_400(client):
    """The policy holds for every route that reads JSON, the ingest fast path included, before any key check."""
    operations = _json_operations(client.get("/openapi.json").json())
    assert len(operations) >= 70
    wrong = {}
    for method, path, _ in operations:
        url = path.replace("{", "").replace("}", "")  # any value: the body is read before the path is
        response = client.request(method.upper(), url, content=b'{"a": "\\udc00"}',
                                  headers={"content-type": "application/json"})
        if response.status_code != 400 or "surrogate" not in response.text:
            wrong[f"{method} {path}"] = (response.status_code, response.text[:120])
    assert not wrong, wrong


def test_415_is_documented_where_it_is_answered(team, client):
    """Every operation that reads a JSON body into a model answers 415 to another media type, and says so."""
    document = client.get("/openapi.json").json()
    answered, documented = set(), set()
    for method, path, operation in _json_operations(document):
        url = path.replace("{", "").replace("}", "")
        response = client.request(method.upper(), url, content=b"title=Search+down",
                                  headers={**team.as_alice.headers, "content-type": "text/plain"})
        if response.status_code == 415:
            answered.add(f"{method} {path}")
        if "415" in operation["responses"]:
            documented.add(f"{method} {path}")
    assert len(answered) >= 59
    assert answered == documented
    incidents = document["paths"]["/api/v1/incidents"]["post"]["responses"]
    assert incidents["415"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/ProblemOut")
    assert {"400", "413", "503"} <= set(incidents)


# Web pages take the same bounded integers from their paths and queries.
WEB_TOO_BIG = [
    ("get", "/incidents/{ref}?before={n}"),
    ("get", "/incidents/{ref}/entries?after={n}"),
    ("get", "/announcements?before={n}"),
    ("get", "/admin/audit?before={n}"),
    ("get", "/alerts/{n}"),
    ("post", "/admin/jobs/{n}/retry"),
    ("post", "/settings/tokens/{n}/revoke"),
    ("post", "/incidents/{ref}/public-updates/{n}/publish"),
]


@pytest.mark.parametrize(("method", "path"), WEB_TOO_BIG, ids=[f"{m}-{p}" for m, p in WEB_TOO_BIG])
def test_web_pages_refuse_integers_past_the_stores(team, runtime, client, ref, method, path):
    client.get("/login")
    signed = client.post("/login", data={"login": "alice", "password": PASSWORD, "next": "/",
                                         "login_token": client.cookies.get("warroom_login") or ""},
                         follow_redirects=False)
    assert signed.status_code == 303, signed.text[:300]
    before = stored(runtime)
    response = client.request(method.upper(), path.format(n=HUGE, ref=ref), headers={"accept": "text/html"},
                              follow_redirects=False)
    assert response.status_code == 422, response.text[:300]
    assert "less than or equal to 2147483647" in response.text
    assert stored(runtime) == before
