"""`warroom db`: migrate the database and show where it stands."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from warroom.cli.local import settings, shown_url
from warroom.cli.output import fail, say, show_json
from warroom.db import migrate

app = typer.Typer(help="The database: migrate it to the latest schema, show its revision.", no_args_is_help=True)


def _head(url: str) -> str | None:
    return migrate.head()


def _current(url: str) -> str | None:
    try:
        return migrate.current(url)
    except SQLAlchemyError as error:
        fail(f"Cannot open the database at {shown_url(url)}: {str(error).splitlines()[0]}")


@app.command("upgrade")
def upgrade() -> None:
    """Migrate the database to the latest schema (safe to run again; `warroom serve` does it too)."""
    url = settings().resolved_database_url()
    before = _current(url)
    try:
        migrate.upgrade(url)
    except SQLAlchemyError as error:
        fail(f"Migrating {shown_url(url)} failed: {str(error).splitlines()[0]}")
    after = _current(url)
    if before == after:
        say(f"{shown_url(url)} is already at the latest revision ({after}).")
    else:
        say(f"Migrated {shown_url(url)} from {before or 'empty'} to {after}.", "green")


@app.command("current")
def current(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """Show the database's schema revision and whether it is the latest."""
    url = settings().resolved_database_url()
    revision, head = _current(url), _head(url)
    if as_json:
        show_json({"database": shown_url(url), "revision": revision, "head": head,
                   "up_to_date": revision == head})
        return
    if revision is None:
        say(f"{shown_url(url)} is empty (not migrated). Run `warroom db upgrade`.", "yellow")
    elif revision == head:
        say(f"{shown_url(url)} is at revision {revision} (latest).")
    else:
        say(f"{shown_url(url)} is at revision {revision}; the latest is {head}. Run `warroom db upgrade`.",
            "yellow")
