"""Set-up commands on the database: db, users, teams, tokens, demo. Bad input: a red line, nothing written."""

from __future__ import annotations

import pytest

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.audit import service as audit
from warroom.config import get_settings
from warroom.core.security import verify_password
from warroom.db import migrate

from ..api.conftest import stored
from ..factories import PASSWORD
from .conftest import head


def test_db_current_and_upgrade_on_the_migrated_test_database(cli, settings):
    current = cli.json("db", "current")
    assert (current["revision"], current["head"], current["up_to_date"]) == (head(), head(), True)
    assert f"is at revision {head()} (latest)" in cli.ok("db", "current")
    assert f"already at the latest revision ({head()})" in cli.ok("db", "upgrade")
    assert migrate.current(settings.resolved_database_url()) == head()


def test_db_upgrade_migrates_an_empty_database(cli, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("WARROOM_DATABASE_URL", url)
    get_settings.cache_clear()
    assert "is empty (not migrated)" in cli.ok("db", "current")
    assert f"from empty to {head()}" in cli.ok("db", "upgrade")
    assert migrate.current(url) == head()


def test_the_database_password_is_never_printed(cli, monkeypatch):
    monkeypatch.setenv("WARROOM_DATABASE_URL", "postgresql://warroom:s3cret@127.0.0.1:1/warroom")
    get_settings.cache_clear()
    line = cli.fails("db", "current", says="Cannot open the database")
    assert "s3cret" not in line
    assert "***" in line


def test_users_create_list_set_password_and_access(cli, runtime):
    cli.ok("teams", "create", "engineering", "--name", "Engineering")
    out = cli.ok("users", "create", "bob", "--email", "bob@example.com", "--name", "Bob Backend",
                 "--team", "engineering", "--password", PASSWORD)
    assert "Created @bob (responder)" in out
    cli.ok("users", "create", "vic", "--email", "vic@example.com", "--access", "viewer")
    people = {p["handle"]: p for p in cli.json("users", "list")}
    assert people["bob"] == {"id": people["bob"]["id"], "handle": "bob", "name": "Bob Backend",
                             "email": "bob@example.com", "access": "responder", "active": True,
                             "teams": ["engineering"], "has_password": True}
    assert people["vic"]["access"] == "viewer"
    assert people["vic"]["has_password"] is False
    assert "@vic" in cli.ok("users", "list")

    assert "viewer → admin" in cli.ok("users", "set-access", "@vic", "admin")
    cli.ok("users", "set-password", "vic", "--password", "a-long-password")
    with runtime.database.reading() as db:
        vic = accounts.find_person(db=db, who="vic")
        assert vic.access_role is AccessRole.admin
        assert vic.password_hash is not None
        assert verify_password("a-long-password", vic.password_hash)


@pytest.mark.parametrize(("args", "says"), [
    (("users", "create", "Bad Handle!", "--email", "x@example.com"), "A handle is"),
    (("users", "create", "zed", "--email", "not-an-email"), "is not an email address"),
    (("users", "create", "zed", "--email", "zed@example.com", "--password", "short"), "at least 8"),
    (("users", "create", "zed", "--email", "zed@example.com", "--team", "nope"), "No team 'nope'"),
    (("users", "create", "bob", "--email", "other@example.com"), "already exists"),
    (("users", "set-password", "nobody", "--password", "long-enough-1"), "No user 'nobody'"),
    (("users", "set-password", "bob", "--password", "short"), "at least 8"),
    (("users", "set-password", "bob"), "Give the password with --password"),
    (("users", "set-access", "nobody", "admin"), "No user 'nobody'"),
    (("teams", "create", "Not A Slug"), "team slug"),
    (("teams", "create", "engineering"), "already exists"),
    (("teams", "add-member", "nope", "bob"), "No team 'nope'"),
    (("teams", "add-member", "engineering", "@nobody"), "No user '@nobody'"),
    (("tokens", "create", "--user", "nobody", "--scope", "read"), "No user 'nobody'"),
    (("tokens", "create", "--user", "vic", "--scope", "write"), "a token cannot have more"),
    (("tokens", "create", "--user", "bob", "--scope", "read", "--name", "  "), "Give the token a name"),
    (("tokens", "revoke", "999"), "No API token #999"),
    (("demo", "seed"), "only seeded into an empty database"),
])
def test_bad_input_is_one_red_line_and_writes_nothing(cli, factory, runtime, args, says):
    factory.user("bob", teams=("engineering",))
    factory.user("vic", AccessRole.viewer)
    before = stored(runtime)
    cli.fails(*args, says=says)
    assert stored(runtime) == before


def test_unknown_scope_or_access_is_a_usage_error(cli, factory, runtime):
    factory.user("bob")
    before = stored(runtime)
    assert cli("tokens", "create", "--user", "bob", "--scope", "root").exit_code == 2
    assert cli("users", "set-access", "bob", "superuser").exit_code == 2
    assert stored(runtime) == before


def test_teams_create_list_and_add_member(cli, factory):
    factory.user("carol")
    assert "Created team customer-support" in cli.ok("teams", "create", "customer-support", "--name",
                                                     "Customer support")
    assert "@carol is in customer-support" in cli.ok("teams", "add-member", "customer-support", "@carol")
    cli.ok("teams", "add-member", "customer-support", "carol")  # again: still one membership
    assert cli.json("teams", "list") == [
        {"id": 1, "slug": "customer-support", "name": "Customer support", "members": ["carol"]}]
    assert "@carol" in cli.ok("teams", "list")


def test_a_token_is_shown_once_works_on_the_api_and_stops_when_revoked(cli, factory, client):
    factory.user("bob")
    out = cli.ok("tokens", "create", "--user", "@bob", "--scope", "write", "--name", "laptop")
    secret = next(line for line in out.splitlines() if line.startswith("wr_"))
    assert "will not be shown again" in out
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.json()["handle"] == "bob"

    listed = cli.json("tokens", "list")
    assert [(t["user"], t["name"], t["scope"], t["revoked_at"]) for t in listed] == [
        ("bob", "laptop", "write", None)]
    assert secret not in cli.ok("tokens", "list")
    assert secret[:10] in cli.ok("tokens", "list")

    assert "Revoked token #1 'laptop' of @bob" in cli.ok("tokens", "revoke", str(listed[0]["id"]))
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert cli.json("tokens", "list", "--user", "bob")[0]["revoked_at"] is not None


def test_token_json_gives_the_secret_for_scripts(cli, factory, runtime):
    factory.user("alice", AccessRole.admin)
    created = cli.json("tokens", "create", "--user", "alice", "--scope", "admin")
    assert created["user"] == "alice"
    assert created["scope"] == "admin"
    assert created["token"].startswith(created["prefix"])
    with runtime.database.reading() as db:
        found = accounts.authenticate_token(db=db, secret=created["token"])
    assert found is not None
    assert found[1].handle == "alice"


def test_demo_seed_loads_the_demo_organisation_into_an_empty_database(cli, runtime):
    out = cli.ok("demo", "seed")
    assert "Sign in as alice (admin) with password warroom-demo" in out
    handles = [p["handle"] for p in cli.json("users", "list")]
    assert handles == ["alice", "bob", "carol", "dan", "erin", "pat", "vic"]
    teams = {t["slug"] for t in cli.json("teams", "list")}
    assert {"engineering", "customer-support", "security", "marketing"} <= teams
    with runtime.database.reading() as db:
        alice = accounts.authenticate_password(db=db, login="alice", password="warroom-demo")
    assert alice.access_role is AccessRole.admin


def test_set_up_commands_are_audited_as_the_cli(cli, runtime):
    cli.ok("teams", "create", "security")
    with runtime.database.reading() as db:
        entries = audit.list_entries(db=db)
    assert [(e.action, e.via) for e in entries] == [("team.create", "cli")]


def test_a_malformed_setting_is_one_red_line(cli, monkeypatch):
    monkeypatch.setenv("WARROOM_PORT", "eighty")
    get_settings.cache_clear()
    line = cli.fails("users", "list", says="A WARROOM_* setting is invalid")
    assert "port" in line
