"""GitHub's `issues` webhook: signed, deduplicated by delivery id; closing the issue resolves the follow-up."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.followups.models import GithubDelivery
from warroom.runtime import Runtime

from ..api.conftest import Team, assert_problem, declare, stored
from .conftest import REPO, WEBHOOK_SECRET, FakeGithub

URL = "/api/v1/integrations/github/webhook"


def _event(action: str, number: int, repo: str = REPO) -> bytes:
    return json.dumps({"action": action, "issue": {"number": number, "state": "closed" if action == "closed"
                                                   else "open", "title": "t"},
                       "repository": {"full_name": repo}, "sender": {"login": "octocat"}}).encode()


def _sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send(client: TestClient, body: bytes, delivery: str, *, event: str = "issues",
          signature: str | None = "sign") -> httpx.Response:
    headers = {"content-type": "application/json", "x-github-event": event, "x-github-delivery": delivery}
    if signature == "sign":
        headers["x-hub-signature-256"] = _sign(body)
    elif signature is not None:
        headers["x-hub-signature-256"] = signature
    response: httpx.Response = client.post(URL, content=body, headers=headers)
    return response


def _attached(team: Team, runtime: Runtime, github: FakeGithub) -> tuple[dict[str, Any], str]:
    incident = declare(team.as_bob)["incident"]
    github.add_issue(REPO, 812, "Search index lag")
    made = team.as_bob.ok("post", f"/incidents/{incident['ref']}/followups",
                          {"text": "Alert on lag", "github": f"{REPO}#812"}, status=201)
    runtime.engine().tick()
    return made, incident["ref"]


def _status(team: Team, ref: str) -> str:
    status: str = team.as_bob.ok("get", f"/incidents/{ref}/followups")["items"][0]["status"]
    return status


def test_signed_close_resolves_and_reopen_reopens(team: Team, runtime: Runtime, client: TestClient,
                                                  github: FakeGithub) -> None:
    made, ref = _attached(team, runtime, github)
    response = _send(client, _event("closed", 812), "d-1")
    assert response.status_code == 200, response.text
    assert response.json()["changed"] == 1
    assert _status(team, ref) == "done"
    room = team.as_bob.ok("get", f"/incidents/{ref}/timeline")["items"]
    assert any(f"Follow-up #{made['id']} done: GitHub issue {REPO}#812 was closed" in e["body"] for e in room)

    assert _send(client, _event("reopened", 812), "d-2").status_code == 200
    assert _status(team, ref) == "open"


def test_unsigned_wrong_and_replayed_deliveries_are_refused(team: Team, runtime: Runtime, client: TestClient,
                                                            github: FakeGithub) -> None:
    _, ref = _attached(team, runtime, github)
    body = _event("closed", 812)
    before = stored(runtime)
    assert_problem(_send(client, body, "d-1", signature=None), 401, contains="unsigned")
    assert_problem(_send(client, body, "d-1", signature=_sign(body, "other-secret")), 401, contains="does not match")
    assert_problem(_send(client, body, "d-1", signature=_sign(body + b" ")), 401)
    assert stored(runtime) == before
    assert _status(team, ref) == "open"

    assert _send(client, body, "d-1").status_code == 200
    team.as_bob.ok("patch", f"/followups/{team.as_bob.ok('get', f'/incidents/{ref}/followups')['items'][0]['id']}",
                   {"status": "open"})
    after = stored(runtime)
    assert_problem(_send(client, body, "d-1"), 409, contains="already handled")
    assert stored(runtime) == after
    assert _status(team, ref) == "open"


def test_malformed_and_unknown_deliveries(team: Team, runtime: Runtime, client: TestClient,
                                          github: FakeGithub) -> None:
    _, ref = _attached(team, runtime, github)
    before = stored(runtime)
    assert_problem(_send(client, b"{not json", "d-1"), 400, contains="not valid JSON")
    assert_problem(_send(client, b"[1]", "d-2"), 400, contains="JSON object")
    bad = json.dumps({"action": "closed", "issue": {"number": "812"}, "repository": {"full_name": REPO}}).encode()
    assert_problem(_send(client, bad, "d-3"), 422, contains="issue.number")
    assert_problem(_send(client, _event("closed", 812), ""), 422, contains="X-GitHub-Delivery")
    assert stored(runtime) == before

    unknown = _send(client, _event("closed", 999), "d-4")
    assert unknown.status_code == 202 and unknown.json()["status"] == "ignored"
    assert _send(client, _event("labeled", 812), "d-5").status_code == 202
    ping = _send(client, json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode(), "d-6",
                 event="ping")
    assert ping.status_code == 200 and ping.json()["status"] == "pong"
    assert _status(team, ref) == "open"
    with runtime.database.reading() as db:
        assert set(db.scalars(sa.select(GithubDelivery.delivery_id))) == {"d-4", "d-5", "d-6"}


def test_without_a_secret_every_delivery_is_refused(runtime: Runtime, client: TestClient) -> None:
    runtime.settings.github_webhook_secret = ""
    body = _event("closed", 812)
    assert_problem(_send(client, body, "d-1"), 401, contains="WARROOM_GITHUB_WEBHOOK_SECRET")
