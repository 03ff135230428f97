"""A local command names the database it used, and one that only reads or makes a token never creates one."""

from __future__ import annotations

import pytest

from warroom.cli.local import database_named
from warroom.config import get_settings

from ..factories import PASSWORD


@pytest.fixture
def elsewhere(cli, tmp_path, monkeypatch):
    """Another HOME: the default data directory, with no database in it yet."""
    data_dir = tmp_path / "other-home" / ".local" / "share" / "warroom"
    monkeypatch.delenv("WARROOM_DATABASE_URL", raising=False)
    monkeypatch.setenv("WARROOM_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    return data_dir


@pytest.mark.parametrize("command", [
    ("tokens", "create", "--user", "bob", "--scope", "write"),
    ("tokens", "list"),
    ("users", "list"),
    ("teams", "list"),
    ("users", "set-access", "bob", "viewer"),
])
def test_a_read_or_token_command_refuses_a_missing_database_and_creates_none(cli, elsewhere, command):
    line = cli.fails(*command, says="No Warroom database at")
    assert str(elsewhere / "warroom.db") in line
    assert "WARROOM_DATA_DIR" in line and "WARROOM_DATABASE_URL" in line
    assert not (elsewhere / "warroom.db").exists()


def test_no_such_person_names_the_database_it_looked_in(cli, settings):
    shown = database_named(settings.resolved_database_url())
    line = cli.fails("tokens", "create", "--user", "bob", "--scope", "write", says="No user 'bob'")
    assert shown in line and "WARROOM_DATA_DIR" in line
    line = cli.fails("tokens", "list", "--user", "bob", says="No user 'bob'")
    assert shown in line and "WARROOM_DATABASE_URL" in line


def test_creating_a_person_still_creates_the_database(cli, elsewhere):
    cli.ok("users", "create", "ada", "--email", "ada@example.com", "--access", "admin", "--password", PASSWORD)
    assert (elsewhere / "warroom.db").is_file()
    assert "@ada" in cli.ok("tokens", "create", "--user", "ada", "--scope", "admin")
