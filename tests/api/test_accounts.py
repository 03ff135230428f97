"""People, teams, the browser session as an API credential, and the admin views."""

from __future__ import annotations

from warroom.accounts import service as accounts
from warroom.engine import queue

from .conftest import assert_problem, count, stored


def test_people_are_listed_and_admins_add_them(team, runtime):
    listed = team.as_vic.ok("get", "/users")
    assert [u["handle"] for u in listed["items"]] == ["alice", "bob", "carol", "vic"]
    assert "password_hash" not in listed["items"][0]
    assert listed["total"] == 4
    assert [u["handle"] for u in team.as_vic.ok("get", "/users?limit=2&offset=1")["items"]] == ["bob", "carol"]

    created = team.as_alice.ok("post", "/users", {"handle": "Dan", "email": "dan@example.com", "name": "Dan",
                                                  "access_role": "responder", "password": "long-enough"}, status=201)
    assert created["handle"] == "dan"
    assert created["access_role"] == "responder"

    before = stored(runtime)
    assert_problem(team.as_alice.post("/users", {"handle": "dan", "email": "d2@example.com", "name": "D"}), 409,
                   contains="already exists")
    assert_problem(team.as_alice.post("/users", {"handle": "x", "email": "not-mail", "name": "X"}), 422,
                   field="email")
    assert_problem(team.as_alice.post("/users", {"handle": "y", "email": "y@example.com", "name": "Y",
                                                 "access_role": "owner"}), 422, field="access_role")
    assert stored(runtime) == before


def test_who_am_i(team):
    me = team.as_carol.ok("get", "/users/me")
    assert (me["handle"], me["access_role"], me["teams"]) == ("carol", "responder", ["customer-support"])
    assert team.as_vic.ok("get", "/users/me")["effective_role"] == "viewer"


def test_teams_and_members(team, runtime):
    assert [t["slug"] for t in team.as_bob.ok("get", "/teams")["items"]] == ["customer-support", "engineering"]
    assert team.as_alice.ok("post", "/teams", {"slug": "security", "name": "Security"}, status=201) == {
        "slug": "security", "name": "Security"}
    added = team.as_alice.ok("post", "/teams/security/members", {"user": "@bob"})
    assert added == {"slug": "security", "name": "Security", "members": ["bob"]}

    before = stored(runtime)
    assert_problem(team.as_alice.post("/teams/nowhere/members", {"user": "@bob"}), 404, field="team")
    assert_problem(team.as_alice.post("/teams/security/members", {"user": "@ghost"}), 404, field="user")
    assert_problem(team.as_bob.post("/teams", {"slug": "mine"}), 403)
    assert_problem(team.as_alice.post("/teams", {"slug": "Not A Slug"}), 422, field="slug")
    assert stored(runtime) == before


def test_a_browser_session_writes_only_with_its_csrf_token(team, runtime, client, clock):
    with runtime.database.writing() as db:
        session = accounts.start_session(db=db, user=team.bob, now=clock.now(), days=1)
    client.cookies.set("warroom_session", session.cookie_value)
    assert client.get("/api/v1/users/me").json()["handle"] == "bob"
    body = {"title": "Search down", "severity": "critical"}

    incidents = count(runtime, "incidents")
    assert_problem(client.post("/api/v1/incidents", json=body), 403, contains="security token")
    assert_problem(client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": "guess"}), 403)
    assert count(runtime, "incidents") == incidents
    made = client.post("/api/v1/incidents", json=body, headers={"X-CSRF-Token": session.session.csrf_token})
    assert made.status_code == 201, made.text


def test_dead_jobs_are_listed_and_retried_by_admins(team, runtime, clock):
    with runtime.database.writing() as db:
        queue.enqueue(db=db, kind="no-such-kind", payload={"n": 1}, idempotency_key="t-1", due_at=clock.now())
    assert runtime.engine().tick() == 1
    dead = team.as_alice.ok("get", "/jobs/dead")["items"]
    assert [(j["kind"], j["state"]) for j in dead] == [("no-such-kind", "dead")]
    assert "no handler" in dead[0]["last_error"]

    before = stored(runtime)
    assert_problem(team.as_bob.get("/jobs/dead"), 403)
    assert_problem(team.as_bob.post(f"/jobs/{dead[0]['id']}/retry"), 403)
    assert_problem(team.as_alice.post("/jobs/999/retry"), 404)
    assert stored(runtime) == before

    retried = team.as_alice.ok("post", f"/jobs/{dead[0]['id']}/retry")
    assert (retried["state"], retried["attempts"]) == ("pending", 0)
    assert team.as_alice.ok("get", "/jobs/dead")["items"] == []
    assert team.as_alice.ok("get", "/audit?limit=1")["items"][0]["action"] == "job.retry"
