"""Set-up commands work on the database directly: whoever can read the settings already owns the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole
from warroom.cli.output import fail
from warroom.config import Settings, get_settings
from warroom.core.actor import Actor
from warroom.core.errors import WarroomError
from warroom.db.engine import normalise_url
from warroom.runtime import Runtime, build_runtime


def shown_url(url: str) -> str:
    """The database URL without its password, fit to print."""
    return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)


def settings() -> Settings:
    try:
        return get_settings()
    except ValueError as error:  # pydantic's ValidationError: a WARROOM_* variable is malformed
        fail(f"A WARROOM_* setting is invalid: {error}".replace("\n", " "))


@contextmanager
def local_runtime(config: Settings | None = None, *, migrate_db: bool = True) -> Iterator[Runtime]:
    """The configured database, migrated to the latest schema (as `warroom serve` would)."""
    config = config or settings()
    url = config.resolved_database_url()
    try:
        runtime = build_runtime(config, migrate_db=migrate_db)
    except SQLAlchemyError as error:
        fail(f"Cannot open the database at {shown_url(url)}: {_first_line(error)}")
    try:
        yield runtime
    finally:
        runtime.database.dispose()


def cli_actor(runtime: Runtime) -> Actor:
    # Not a signed-in person: the operator at the server's terminal, recorded as such in the audit log.
    return Actor(None, "cli", AccessRole.admin, "cli", runtime.clock)


@contextmanager
def writing(runtime: Runtime) -> Iterator[Session]:
    """One transaction; a domain error rolls it back and becomes the red line."""
    try:
        with runtime.database.writing() as db:
            yield db
    except WarroomError as error:
        fail(error.message, error.hint)
    except SQLAlchemyError as error:
        fail(f"The database refused the change: {_first_line(error)}")


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
