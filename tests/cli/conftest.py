"""CLI test harness: the `warroom` app run in-process against the test database, and a real server.

Set-up commands read the same WARROOM_* variables a shell would give them, pointed at the test
runtime's database. Remote commands talk over loopback HTTP to a real uvicorn serving
create_app(runtime) in a background thread, so every byte goes the way it does in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from click.testing import Result
from typer.testing import CliRunner

from warroom.cli.main import app
from warroom.config import Settings, get_settings
from warroom.db import migrate
from warroom.runtime import Runtime

from ..support import LiveServer, free_port, live_server  # noqa: F401  (tests import free_port from here)

Server = LiveServer  # the name tests here know it by

def head() -> str | None:
    """The latest migration revision."""
    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


@dataclass
class Cli:
    """Run `warroom …` and check how it ended."""

    runner: CliRunner

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), prog_name="warroom")

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, f"warroom {' '.join(args)} -> {result.exit_code}\n{result.output}"
        return result.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def fails(self, *args: str, says: str) -> str:
        """Exit code 1 and exactly one line on stderr, which says what went wrong; nothing on stdout."""
        result = self(*args)
        assert result.exit_code == 1, f"warroom {' '.join(args)} -> {result.exit_code}\n{result.output}"
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert says.lower() in lines[0].lower(), lines[0]
        assert result.stdout == "", result.stdout
        return lines[0]


@pytest.fixture
def cli(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The CLI as an operator's shell would run it: WARROOM_* point at the test database."""
    for name in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_BASE_URL", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WARROOM_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("WARROOM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WARROOM_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("WARROOM_SEED_DEMO", "false")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # `warroom login` writes here, not in ~
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield Cli(CliRunner())
    get_settings.cache_clear()


@pytest.fixture
def server(runtime: Runtime) -> Iterator[Server]:
    """A real Warroom on 127.0.0.1 (engine off), serving the test runtime."""
    with live_server(runtime, lifespan="on") as live:
        yield live


@pytest.fixture
def remote(cli: Cli, server: Server, monkeypatch: pytest.MonkeyPatch) -> Remote:
    monkeypatch.setenv("WARROOM_URL", server.url)
    return Remote(cli, monkeypatch)


@dataclass
class Remote:
    """The CLI pointed at the test server; `as_(token)` picks whose token it sends."""

    cli: Cli
    monkeypatch: pytest.MonkeyPatch

    def as_(self, token: str) -> Cli:
        self.monkeypatch.setenv("WARROOM_TOKEN", token)
        return self.cli
