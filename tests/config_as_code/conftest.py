"""Config as code: a file applied to the test database through the service, and a second, empty database.

The example file is the one docs/config-as-code.md shows, so the documented example is the tested one.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.cli.local import cli_actor
from warroom.config_as_code import service as config
from warroom.config_as_code.planning import Plan
from warroom.core.clock import FakeClock
from warroom.db import migrate
from warroom.db.engine import Database, normalise_url
from warroom.runtime import Runtime

from ..cli.conftest import cli  # noqa: F401  (fixture, registered by importing it)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def documented_example() -> str:
    """The first YAML block of docs/config-as-code.md."""
    text = (DOCS / "config-as-code.md").read_text(encoding="utf-8")
    found = re.search(r"```yaml\n(.*?)```", text, re.S)
    assert found is not None, "docs/config-as-code.md shows no ```yaml example"
    return found.group(1)


def apply(runtime: Runtime, text: str, *, prune: bool = False) -> config.Applied:
    with runtime.database.writing() as db:
        return config.apply(db=db, actor=cli_actor(runtime), text=text, outbound=runtime.outbound, prune=prune)


def plan(runtime: Runtime, text: str, *, prune: bool = False) -> Plan:
    with runtime.database.reading() as db:
        return config.plan(db=db, text=text, now=runtime.clock.now(), prune=prune).plan


def export(runtime: Runtime) -> str:
    with runtime.database.reading() as db:
        return config.export_text(db=db, now=runtime.clock.now())


@pytest.fixture
def empty_runtime(runtime: Runtime, database_template: str, tmp_path: Path) -> Iterator[Runtime]:
    """A second migrated, empty database on the same store, with the same clock and settings."""
    test_url = os.environ.get("WARROOM_TEST_DATABASE_URL", "")
    if not test_url.startswith("postgres"):
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        migrate.upgrade(url)
        second = _runtime(runtime, url)
        yield second
        second.database.dispose()
        return
    admin = sa.create_engine(normalise_url(test_url), isolation_level="AUTOCOMMIT")
    name = f"warroom_config_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(normalise_url(test_url)).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        second = _runtime(runtime, url)
        yield second
        second.database.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _runtime(like: Runtime, url: str) -> Runtime:
    assert isinstance(like.clock, FakeClock)
    settings = like.settings.model_copy(update={"database_url": url})
    return Runtime(settings, Database(url), like.clock)
