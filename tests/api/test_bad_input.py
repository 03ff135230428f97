"""Every bad input of issue 2: a clear problem+json answer, and nothing written anywhere.

``stored`` compares every row of every table before and after, so "nothing written" covers the
incident, its timeline, checklist, announcements, jobs and the audit log at once.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import assert_problem, declare, stored


@pytest.fixture
def ref(team) -> str:
    return str(declare(team.as_bob, customer_impact=True)["incident"]["ref"])


# (who, method, path, body, status, words in the detail, field named)
REFUSED: list[tuple[str, str, str, Any, int, str, str | None]] = [
    ("bob", "post", "/incidents", {"title": "Search down", "severity": "catastrophic"}, 422,
     "unknown severity 'catastrophic'", "severity"),
    ("bob", "post", "/incidents", {"title": "Search down", "severity": "minor"}, 422,
     "normal support/feedback process", "severity"),
    ("bob", "post", "/incidents", {"title": "Search down", "severity": "sev2"}, 422,
     "normal support/feedback process", "severity"),
    ("bob", "post", "/incidents", {"title": "   ", "severity": "critical"}, 422, "title cannot be empty", "title"),
    ("bob", "post", "/incidents", {"title": "x" * 201, "severity": "critical"}, 422, "under 200", "title"),
    ("bob", "post", "/incidents", {"severity": "critical"}, 422, "field required", "title"),
    ("bob", "post", "/incidents", {"title": "Search down", "severity": "critical", "colour": "red"}, 422,
     "extra inputs are not permitted", "colour"),
    ("bob", "post", "/incidents", {"title": "Search down", "severity": "critical", "customer_impact": "maybe"},
     422, "boolean", "customer_impact"),
    ("bob", "post", "/incidents", {"title": "Down", "severity": "critical", "affected_services": ["no spaces"]},
     422, "not valid", "affected_services"),
    ("bob", "post", "/incidents", ["not", "an", "object"], 422, "valid dictionary", None),
    ("bob", "post", "/incidents/{ref}/roles", {"role": "lead", "user": "@nobody"}, 404, "no user '@nobody'",
     "user"),
    ("bob", "post", "/incidents/{ref}/roles", {"role": "lead", "user": ""}, 422, "name a person", "user"),
    ("bob", "post", "/incidents/{ref}/roles", {"role": "lead", "user": "@bob", "urgent": True}, 422,
     "extra inputs", "urgent"),
    ("bob", "post", "/incidents/{ref}/acknowledge", {}, 409, "has no incident lead yet", None),
    ("bob", "post", "/incidents/{ref}/status", {"status": "fixed"}, 422, "unknown status 'fixed'", "status"),
    ("bob", "post", "/incidents/{ref}/updates", {"kind": "tried", "text": "restarting"}, 422, "resulted in",
     "result"),
    ("bob", "post", "/incidents/{ref}/updates", {"kind": "guess", "text": "x"}, 422, "'update', 'plan'", "kind"),
    ("bob", "post", "/incidents/{ref}/updates", {"text": "  "}, 422, "cannot be empty", "update"),
    ("bob", "put", "/incidents/{ref}/summary", {"summary": ""}, 422, "cannot be empty", "summary"),
    ("bob", "put", "/incidents/{ref}/severity", {"severity": "minor"}, 422, "normal support", "severity"),
    ("bob", "put", "/incidents/{ref}/severity", {"severity": "huge"}, 422, "unknown severity", "severity"),
    ("bob", "post", "/incidents/{ref}/close", {}, 409, "resolve it first", None),
    ("bob", "put", "/incidents/{ref}/checklist/postmortem_generated", {"state": "skipped"}, 422,
     "say why", "note"),
    ("bob", "put", "/incidents/{ref}/checklist/no_such_step", {"state": "done"}, 404, "no checklist item", "key"),
    ("bob", "put", "/incidents/{ref}/checklist/declared", {"state": "finished"}, 422, "'done', 'skipped'",
     "state"),
    ("bob", "post", "/incidents/{ref}/messages", {"text": ""}, 422, "cannot be empty", "message"),
    ("bob", "post", "/incidents/{ref}/messages", {"text": "x" * 20_001}, 422, "longer than", "message"),
    ("bob", "post", "/incidents/{ref}/playbooks", {"slug": "no-such-playbook"}, 404, "no playbook", "playbook"),
    ("bob", "patch", "/incidents/{ref}", {"title": ""}, 422, "title cannot be empty", "title"),
    ("bob", "patch", "/incidents/{ref}", {"owner": "bob"}, 422, "extra inputs", "owner"),
    ("bob", "post", "/incidents/INC-999/messages", {"text": "hello"}, 404, "no incident inc-999", "incident"),
    ("bob", "post", "/incidents/not-a-ref/status", {"status": "identified"}, 404, "not an incident reference",
     "incident"),
    # The command language: typos answer 400 with the usage line of the command meant.
    ("bob", "post", "/commands", {"text": "/incident leed @bob", "incident": "{ref}"}, 400,
     "did you mean 'lead'", None),
    ("bob", "post", "/commands", {"text": "/incident lead", "incident": "{ref}"}, 400, "needs more", None),
    ("bob", "post", "/commands", {"text": "/incident resolve --falsepositive", "incident": "{ref}"}, 400,
     "no option --falsepositive", None),
    ("bob", "post", "/commands", {"text": "/incident ack"}, 400, "run this in an incident room", None),
    ("bob", "post", "/commands", {"text": "/incident declare Search down"}, 400, "give a severity", None),
    ("bob", "post", "/commands", {"text": "/incident declare Search down --severity minor"}, 422,
     "normal support", "severity"),
    ("bob", "post", "/commands", {"text": "/incident lead @nobody", "incident": "{ref}"}, 404, "no user", "user"),
    ("bob", "post", "/commands", {"text": "/incident help", "room": "{ref}"}, 422, "extra inputs", "room"),
    # Access: viewers read but never write, and a read-scoped token limits even a responder.
    ("vic", "post", "/incidents", {"title": "Search down", "severity": "critical"}, 403, "viewer access", None),
    ("vic", "post", "/incidents/{ref}/messages", {"text": "hi"}, 403, "viewer access", None),
    ("vic", "post", "/incidents/{ref}/resolve", {}, 403, "viewer access", None),
    ("vic", "post", "/commands", {"text": "/incident declare Down --severity critical"}, 403, "viewer access",
     None),
    ("vic", "post", "/commands", {"text": "/incident update hi", "incident": "{ref}"}, 403, "viewer access", None),
    ("bob", "post", "/users", {"handle": "eve", "email": "eve@example.com", "name": "Eve"}, 403,
     "responder access", None),
    ("bob", "get", "/audit", None, 403, "needs admin", None),
]


def _fill(value: Any, ref: str) -> Any:
    if isinstance(value, str):
        return value.replace("{ref}", ref)
    if isinstance(value, dict):
        return {k: _fill(v, ref) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "words", "field"), REFUSED,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[4]}-{r[5][:24]}" for r in REFUSED])
def test_bad_input_is_refused_and_writes_nothing(team, runtime, ref, who, method, path, body, status, words, field):
    caller = getattr(team, f"as_{who}")
    caller.get("/users/me")  # authenticate once first, so the token's last-use stamp is not the only change
    before = stored(runtime)
    call = getattr(caller, method)
    response = call(_fill(path, ref)) if method == "get" else call(_fill(path, ref), _fill(body, ref))
    assert_problem(response, status, contains=words, field=field)
    assert stored(runtime) == before


def test_a_command_typo_answers_with_the_usage_line(team, ref):
    response = team.as_bob.post("/commands", {"text": "/incident sevrity critical", "incident": ref})
    body = assert_problem(response, 400, contains="did you mean 'severity'")
    assert body["usage"] == "/incident severity critical|major"
    assert body["title"] == "Invalid command"


def test_invalid_json_is_a_400(team, runtime, client, ref):
    before = stored(runtime)
    for path in ("/api/v1/incidents", f"/api/v1/incidents/{ref}/messages", "/api/v1/commands"):
        response = client.post(path, content=b'{"title": "Search down", "severity": ',
                               headers={**team.as_bob.headers, "content-type": "application/json"})
        body = assert_problem(response, 400, contains="not valid JSON")
        assert body["title"] == "Invalid JSON"
    assert stored(runtime) == before


def test_an_oversize_body_is_a_413(team, runtime, settings):
    big = {"title": "Search down", "severity": "critical", "description": "x" * (settings.max_body_bytes + 1)}
    before = stored(runtime)
    assert_problem(team.as_bob.post("/incidents", big), 413, contains="request body is over")
    assert stored(runtime) == before


def test_an_oversize_streamed_body_is_a_413(team, runtime, client, settings, ref):
    def chunks():  # no Content-Length: the limit must hold while the body streams in
        yield b'{"text": "'
        for _ in range(settings.max_body_bytes // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    before = stored(runtime)
    streamed = client.post(f"/api/v1/incidents/{ref}/messages", content=chunks(),
                           headers={**team.as_bob.headers, "content-type": "application/json"})
    assert_problem(streamed, 413)
    assert stored(runtime) == before


def test_closing_with_unticked_required_steps_is_a_409_listing_them(team, runtime, ref):
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {})
    team.as_bob.ok("put", f"/incidents/{ref}/checklist/postmortem_generated", {"state": "done"})
    before = stored(runtime)
    body = assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {}), 409, contains="cannot close yet")
    assert body["title"] == "Checklist incomplete"
    assert body["missing"] == ["roles_identified", "comms_confirmed", "github_issues_updated", "followups_created"]
    assert "Confirm the messenger updated customer channels" in body["detail"]
    assert stored(runtime) == before


def test_unknown_incident_is_a_404(team):
    body = assert_problem(team.as_bob.get("/incidents/INC-404"), 404, contains="no incident")
    assert body["field"] == "incident"
    assert_problem(team.as_bob.get("/incidents/INC-404/timeline"), 404)
    assert_problem(team.as_bob.get("/no-such-route"), 404)


def test_no_token_is_a_401(client, runtime, team):
    before = stored(runtime)
    response = client.post("/api/v1/incidents", json={"title": "Search down", "severity": "critical"})
    assert_problem(response, 401, contains="authorization: bearer")
    assert response.headers["www-authenticate"] == "Bearer"
    assert_problem(client.get("/api/v1/incidents"), 401)
    assert_problem(client.get("/api/v1/incidents", headers={"Authorization": "Bearer wr_made-up"}), 401,
                   contains="unknown or revoked")
    assert stored(runtime) == before


def test_a_read_scoped_token_of_a_responder_cannot_write(team, factory, client, runtime):
    from warroom.accounts.models import TokenScope

    from .conftest import Caller

    reading_bob = Caller(client, factory.token(team.bob, TokenScope.read))
    assert reading_bob.get("/incidents").status_code == 200
    before = stored(runtime)
    assert_problem(reading_bob.post("/incidents", {"title": "Down", "severity": "critical"}), 403,
                   contains="viewer access")
    assert stored(runtime) == before


def test_pagination_bounds_are_checked(team):
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "many"}):
        body = assert_problem(team.as_bob.get("/incidents", **params), 422)
        assert body["errors"][0]["field"] == f"query.{next(iter(params))}"
    assert_problem(team.as_bob.get("/incidents", severity="minor"), 422, field="query.severity")
    assert_problem(team.as_bob.get("/incidents", **{"from": "last tuesday"}), 422, field="query.from")


def test_the_snapshot_sees_every_kind_of_write(team, runtime, ref):
    """Guards the tests above: a snapshot that missed a table would call any write "nothing"."""
    before = stored(runtime)
    assert {"incidents", "timeline_entries", "audit_log", "checklist_items", "announcements", "jobs"} <= set(before)
    team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": "hello"}, status=201)
    after = stored(runtime)
    assert len(after["timeline_entries"]) == len(before["timeline_entries"]) + 1
    team.as_bob.ok("put", f"/incidents/{ref}/summary", {"summary": "changed in place"})
    assert stored(runtime)["incidents"] != after["incidents"]
