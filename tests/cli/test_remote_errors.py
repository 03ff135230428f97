"""Bad input through the remote CLI: one red line, exit code 1, and nothing written on the server."""

from __future__ import annotations

import json
import stat

import pytest

from warroom.accounts.models import AccessRole, TokenScope

from ..api.conftest import stored
from .conftest import free_port


@pytest.fixture
def bob_cli(remote, factory):
    """Bob (responder) with a write token, and INC-1 declared by him."""
    bob = factory.user("bob", teams=("engineering",))
    factory.incident(bob)
    return remote.as_(factory.token(bob, TokenScope.write))


@pytest.mark.parametrize(("args", "says"), [
    (("incident", "declare", "Search is down", "--severity", "huge"), "Unknown severity 'huge'"),
    (("incident", "declare", "Search is down", "--severity", "minor"), "normal support/feedback process"),
    (("incident", "declare", "   ", "--severity", "critical"), "title cannot be empty"),
    (("incident", "declare", "Search is down", "--severity", "critical", "--service", "bad service!"),
     "Service name"),
    (("incident", "lead", "INC-1", "@nobody"), "No user '@nobody'"),
    (("incident", "role", "INC-1", "Sc!ribe", "@bob"), "A role name is"),
    (("incident", "ack", "INC-1"), "has no incident lead yet"),
    (("incident", "status", "INC-1", "fixed"), "Unknown status 'fixed'"),
    (("incident", "severity", "INC-1", "sev2"), "normal support/feedback process"),
    (("incident", "summary", "INC-1", " "), "summary cannot be empty"),
    (("incident", "tried", "INC-1", "restarting", "--result", " "), "resulted in"),
    (("incident", "tick", "INC-1", "no_such_step"), "No checklist item 'no_such_step'"),
    (("incident", "skip", "INC-1", "paged"), "Say why"),
    (("incident", "close", "INC-1"), "resolve it first"),
    (("incident", "show", "INC-99"), "No incident INC-99"),
    (("incident", "say", "INC-99", "hello"), "No incident INC-99"),
    (("command", "/incident leed @bob", "--incident", "INC-1"), "Did you mean 'lead'? Usage: /incident lead @user"),
    (("command", "/incident lead", "--incident", "INC-1"), "Usage: /incident lead @user"),
    (("command", "/incident lead @bob"), "--incident INC-42"),
])
def test_bad_input_is_one_red_line_and_writes_nothing(bob_cli, runtime, args, says):
    before = stored(runtime)
    bob_cli.fails(*args, says=says)
    assert stored(runtime) == before


def test_the_error_line_is_red_on_a_terminal(bob_cli, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    result = bob_cli("incident", "declare", "Search is down", "--severity", "minor")
    assert result.exit_code == 1
    assert result.stderr.startswith("\x1b[1;31m")  # bold red
    assert "normal support" in result.stderr


def test_a_viewer_cannot_write(remote, factory, runtime):
    vic = remote.as_(factory.token(factory.user("vic", AccessRole.viewer), TokenScope.read))
    before = stored(runtime)
    vic.fails(
        "incident", "declare", "Search is down", "--severity", "critical", says="has viewer access")
    assert stored(runtime) == before


def test_a_wrong_token_is_refused(remote, factory, runtime):
    factory.user("bob")
    before = stored(runtime)
    remote.as_("wr_not-a-real-token").fails("incident", "list", says="unknown or revoked")
    assert stored(runtime) == before


def test_without_a_token_the_cli_says_how_to_get_one(cli, server, monkeypatch):
    monkeypatch.setenv("WARROOM_URL", server.url)
    cli.fails("incident", "list", says="No API token")


def test_server_down_says_it_is_not_reachable(cli, monkeypatch):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("WARROOM_URL", url)
    monkeypatch.setenv("WARROOM_TOKEN", "wr_whatever")
    line = cli.fails("incident", "declare", "Search is down", "--severity", "critical", says="not reachable")
    assert url in line


def test_a_server_that_is_not_warroom(cli, server, monkeypatch):
    monkeypatch.setenv("WARROOM_URL", server.url + "/static")  # answers, but not with the API
    monkeypatch.setenv("WARROOM_TOKEN", "wr_whatever")
    cli.fails("incident", "list", says="404")


def test_login_checks_the_token_then_stores_it_private(cli, server, factory, runtime, tmp_path):
    token = factory.token(factory.user("bob"))
    out = cli.ok("login", "--url", server.url + "/", "--token", token)
    assert f"Signed in to {server.url} as @bob" in out
    stored_file = tmp_path / "config" / "warroom" / "cli.json"
    assert json.loads(stored_file.read_text()) == {"url": server.url, "token": token}
    assert stat.S_IMODE(stored_file.stat().st_mode) == 0o600
    # No WARROOM_URL or WARROOM_TOKEN in the environment: the stored ones are used.
    factory.incident(factory.user("pat"))
    assert cli.json("incident", "list")["total"] == 1
    assert "Removed" in cli.ok("logout")
    assert not stored_file.exists()
    cli.fails("incident", "list", says="No API token")


def test_login_with_a_wrong_token_stores_nothing(cli, server, tmp_path):
    cli.fails("login", "--url", server.url, "--token", "wr_wrong", says="unknown or revoked")
    assert not (tmp_path / "config" / "warroom" / "cli.json").exists()


def test_the_environment_wins_over_the_stored_login(cli, server, factory, monkeypatch):
    cli.ok("login", "--url", server.url, "--token", factory.token(factory.user("bob")))
    monkeypatch.setenv("WARROOM_TOKEN", "wr_revoked-elsewhere")
    cli.fails("incident", "list", says="unknown or revoked")
