"""API test helpers: people with tokens, a caller per person, and a snapshot of everything stored.

``stored(runtime)`` (tests.support) reads every row of every table, so a test can prove a refused request
wrote nothing at all — not just that one count stayed put.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from warroom.accounts.models import TokenScope, User

from ..factories import Factory
from ..support import HANDBOOK, count, people, stored  # noqa: F401  (re-exported: tests import them from here)

PROBLEM = "application/problem+json"


def assert_problem(
    response: httpx.Response, status: int, *, contains: str = "", field: str | None = None
) -> dict[str, Any]:
    """A problem+json answer (RFC 9457) with the status, a readable detail, and the field named."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if contains:
        assert contains.lower() in body["detail"].lower(), body["detail"]
    if field is not None:
        named = {body.get("field")} | {e.get("field") for e in body.get("errors", [])}
        assert field in named, body
    return body


class Caller:
    """The test client speaking as one person through their API token."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        # httpx drops a query string written in the path when params are given, even empty ones.
        return self.client.get(f"/api/v1{path}", params=params or None, headers=self.headers)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def put(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.put(f"/api/v1{path}", json=json, headers=self.headers)

    def patch(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def ok(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        call = getattr(self, method)
        response = call(path) if method in ("get", "delete") else call(path, json)
        assert response.status_code == status, response.text
        return response.json()


@dataclass
class Team:
    """The people of the handbook: an admin, an engineer, a support person, a viewer."""

    alice: User  # admin, engineering
    bob: User  # responder, engineering
    carol: User  # responder, customer-support
    vic: User  # viewer
    as_alice: Caller
    as_bob: Caller
    as_carol: Caller
    as_vic: Caller


@pytest.fixture
def team(factory: Factory, client: TestClient) -> Team:
    alice, bob, carol, vic = people(factory, HANDBOOK).values()
    return Team(
        alice, bob, carol, vic,
        Caller(client, factory.token(alice, TokenScope.admin)),
        Caller(client, factory.token(bob, TokenScope.write)),
        Caller(client, factory.token(carol, TokenScope.write)),
        Caller(client, factory.token(vic, TokenScope.read)),
    )


def declare(caller: Caller, **fields: Any) -> dict[str, Any]:
    body = {"title": "Search is down", "severity": "critical", **fields}
    response = caller.post("/incidents", body)
    assert response.status_code == 201, response.text
    outcome: dict[str, Any] = response.json()
    return outcome
