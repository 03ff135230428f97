"""Set-up commands work on the database directly: whoever can read the settings already owns the data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole
from warroom.cli.output import fail
from warroom.config import Settings, get_settings
from warroom.core.actor import Actor
from warroom.core.errors import WarroomError
from warroom.db import migrate
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


ANOTHER_DATABASE = "set WARROOM_DATA_DIR or WARROOM_DATABASE_URL to use another"


def database_named(url: str) -> str:
    """Where the database is, as an operator would look for it: the SQLite file's path, else the URL."""
    parsed = sa.engine.make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return parsed.database
    return shown_url(url)


@contextmanager
def local_runtime(config: Settings | None = None, *, migrate_db: bool = True,
                  existing: bool = False) -> Iterator[Runtime]:
    """The configured database, migrated to the latest schema (as `warroom serve` would).

    ``existing``: a command that only reads or makes a token refuses to create a database that is not there.
    """
    config = config or settings()
    url = config.resolved_database_url()
    if existing:
        _require_database(url)
    try:
        runtime = build_runtime(config, migrate_db=migrate_db)
    except SQLAlchemyError as error:
        fail(f"Cannot open the database at {shown_url(url)}: {_first_line(error)}")
    try:
        yield runtime
    finally:
        runtime.database.dispose()


def _require_database(url: str) -> None:
    where = database_named(url)
    missing = f"No Warroom database at {where} ({ANOTHER_DATABASE}, or create this one with `warroom db upgrade`)."
    if where != shown_url(url) and not Path(where).is_file():
        fail(missing)
    try:
        revision = migrate.current(url)
    except SQLAlchemyError as error:
        fail(f"Cannot open the database at {shown_url(url)}: {_first_line(error)}")
    if revision is None:
        fail(missing)


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
        fail(_in_database(error.message, runtime), error.hint)
    except SQLAlchemyError as error:
        fail(f"The database refused the change: {_first_line(error)}")


@contextmanager
def reading(runtime: Runtime) -> Iterator[Session]:
    """A read; a domain error (no such person…) becomes the red line naming the database read."""
    try:
        with runtime.database.reading() as db:
            yield db
    except WarroomError as error:
        fail(_in_database(error.message, runtime), error.hint)


def _in_database(message: str, runtime: Runtime) -> str:
    """The red line names the database it looked in: a newcomer's wrong HOME shows at once."""
    where = database_named(runtime.settings.resolved_database_url())
    return f"{message.strip()} (in {where}; {ANOTHER_DATABASE})"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
