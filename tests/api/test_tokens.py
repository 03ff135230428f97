"""API tokens: the secret is shown once and stored only as its hash; listing and revoking."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from warroom.accounts.models import ApiToken

from .conftest import Caller, assert_problem, count, stored


def test_a_token_is_shown_once_and_only_its_hash_is_kept(team, runtime, client):
    created = team.as_bob.ok("post", "/tokens", {"name": "laptop", "scope": "write"}, status=201)
    secret = created["token"]
    assert secret.startswith("wr_")
    assert created["prefix"] == secret[:10]
    assert created["scope"] == "write"
    assert created["name"] == "laptop"

    with runtime.database.reading() as db:
        row = db.execute(sa.select(ApiToken.__table__).where(ApiToken.id == created["id"])).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in row)

    listed = team.as_bob.ok("get", "/tokens")["items"]
    mine = next(t for t in listed if t["id"] == created["id"])
    assert set(mine) == {"id", "name", "scope", "prefix", "user_id", "created_at", "last_used_at", "revoked_at"}
    assert secret not in str(listed)

    me = Caller(client, secret).ok("get", "/users/me")
    assert me["handle"] == "bob"
    assert me["effective_role"] == "responder"
    assert me["teams"] == ["engineering"]


def test_people_see_their_own_tokens_and_admins_see_all(team):
    bobs = team.as_bob.ok("get", "/tokens")
    assert {t["user_id"] for t in bobs["items"]} == {team.bob.id}
    everyone = team.as_alice.ok("get", "/tokens")
    assert {t["user_id"] for t in everyone["items"]} == {team.alice.id, team.bob.id, team.carol.id, team.vic.id}
    assert everyone["total"] == 4
    page = team.as_alice.ok("get", "/tokens?limit=3&offset=3")
    assert len(page["items"]) == 1
    assert page == {**page, "total": 4, "limit": 3, "offset": 3}


def test_a_revoked_token_is_refused(team, runtime, client):
    created = team.as_bob.ok("post", "/tokens", {"name": "script", "scope": "read"}, status=201)
    script = Caller(client, created["token"])
    assert script.get("/incidents").status_code == 200
    revoked = team.as_bob.ok("delete", f"/tokens/{created['id']}")
    assert revoked["revoked_at"] is not None

    before = stored(runtime)
    response = script.get("/incidents")
    assert_problem(response, 401, contains="unknown or revoked")
    assert response.headers["www-authenticate"] == "Bearer"
    assert stored(runtime) == before


def test_token_rules(team, runtime):
    alices = team.as_alice.ok("get", "/tokens")["items"]
    alice_token = next(t for t in alices if t["user_id"] == team.alice.id)
    before = stored(runtime)
    # Someone else's token is not yours to revoke.
    assert_problem(team.as_bob.delete(f"/tokens/{alice_token['id']}"), 403)
    # A token never has more access than its person.
    assert_problem(team.as_bob.post("/tokens", {"name": "root", "scope": "admin"}), 403, field="scope")
    # Only admins make tokens for others; viewers make none through the API.
    assert_problem(team.as_bob.post("/tokens", {"name": "x", "scope": "read", "user": "@carol"}), 403)
    assert_problem(team.as_vic.post("/tokens", {"name": "x", "scope": "read"}), 403)
    assert_problem(team.as_bob.post("/tokens", {"name": "x", "scope": "root"}), 422, field="scope")
    assert_problem(team.as_bob.post("/tokens", {"name": " ", "scope": "read"}), 422, field="name")
    assert_problem(team.as_bob.delete("/tokens/999"), 404)
    assert stored(runtime) == before


def test_a_credential_cannot_mint_a_stronger_one(team, factory, client, runtime):
    from warroom.accounts.models import TokenScope

    alice_writing = Caller(client, factory.token(team.alice, TokenScope.write))
    before = stored(runtime)
    assert_problem(alice_writing.post("/tokens", {"name": "escalate", "scope": "admin"}), 403,
                   contains="cannot create a token with scope admin")
    assert stored(runtime) == before


def test_an_admin_makes_a_token_for_someone_else(team, client):
    created = team.as_alice.ok("post", "/tokens", {"name": "bob's ci", "scope": "write", "user": "@bob"},
                               status=201)
    assert Caller(client, created["token"]).ok("get", "/users/me")["handle"] == "bob"
    assert created["id"] in [t["id"] for t in team.as_bob.ok("get", "/tokens")["items"]]


def test_creating_and_revoking_tokens_is_audited(team, runtime):
    audited = count(runtime, "audit_log")
    created = team.as_bob.ok("post", "/tokens", {"name": "laptop", "scope": "read"}, status=201)
    team.as_bob.ok("delete", f"/tokens/{created['id']}")
    assert count(runtime, "audit_log") == audited + 2
    actions = [e["action"] for e in team.as_alice.ok("get", "/audit?limit=2")["items"]]
    assert actions == ["token.revoke", "token.create"]
