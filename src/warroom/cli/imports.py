"""`warroom import opsgenie|pagerduty|grafana-oncall`: bring an on-call setup into the server's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy.exc import SQLAlchemyError

from warroom.cli.local import cli_actor, database_named, local_runtime
from warroom.cli.output import fail, say, show_json, show_table, table, warn
from warroom.core.errors import WarroomError
from warroom.importers import core
from warroom.importers.run import Source, Where, import_into, read

app = typer.Typer(help="Import users, teams, schedules, escalations and integration keys from Opsgenie, "
                       "PagerDuty or Grafana OnCall (live from its API, or from a folder of saved API answers).",
                  no_args_is_help=True)

FROM_HELP = "A folder of saved API answers (<name>.json each) instead of reading the API live."
URL_HELP = "The source API's base URL (Opsgenie and PagerDuty default to their public API)."
KEY_HELP = "The source API's key (read only is enough). Safer in WARROOM_IMPORT_KEY than on the command line."
DRY_HELP = "Print what would be created, reused and skipped, and write nothing."


@contextmanager
def _progress() -> Iterator[core.Progress]:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("reading", total=None)
    done = 0

    def tell(section: str, count: int) -> None:
        nonlocal done
        done += count
        bar.update(task, description=section, completed=done)

    with bar:
        yield tell


def _run(source: Source, folder: Path | None, url: str, key: str, dry_run: bool, as_json: bool) -> None:
    with local_runtime() as runtime:
        actor = cli_actor(runtime)
        try:
            with _progress() as tell:
                data = read(source, Where(folder=folder, base_url=url, key=key), runtime.clock.now(), tell)
                report = import_into(runtime.database, source, data, actor=actor, dry_run=dry_run, progress=tell)
        except WarroomError as error:
            fail(f"{error.message} Nothing was imported.")
        except SQLAlchemyError as error:
            fail(f"The database refused the import, so nothing was imported: {str(error).splitlines()[0]}")
        where = database_named(runtime.settings.resolved_database_url())
    if as_json:
        show_json({"dry_run": dry_run, "database": where, "created": report.created, "reused": report.reused,
                   "skipped": report.skipped, "warnings": report.warnings, "not_carried": report.uncarried,
                   "actions": report.actions})
        return
    _show(report, source, where, dry_run)


def _show(report: core.ImportReport, source: Source, where: str, dry_run: bool) -> None:
    if dry_run:
        for line in report.actions:
            say(f"  would {line}")
    grid = table("", "created", "reused", "skipped", title=f"{source.value} → {where}")
    for name in report.created:
        grid.add_row(name.replace("_", " "), str(report.created[name]), str(report.reused.get(name, "-")),
                     str(report.skipped.get(name, "-")))
    show_table(grid)
    for line in report.warnings:
        warn(line)
    if report.uncarried:
        say("Not carried (field, items with it, why):", "bold")
        for line in report.uncarried_lines():
            say(f"  {line}")
    if dry_run:
        say("Dry run: nothing was written. Run again without --dry-run to import.", "yellow")
    else:
        say(f"Imported from {source.value} in one transaction. Running it again changes nothing already there.",
            "green")


def _command(source: Source) -> None:
    def command(
        folder: Path | None = typer.Option(None, "--from", help=FROM_HELP, file_okay=False),
        url: str = typer.Option("", "--url", help=URL_HELP),
        key: str = typer.Option("", "--key", envvar="WARROOM_IMPORT_KEY", help=KEY_HELP, show_default=False),
        dry_run: bool = typer.Option(False, "--dry-run", help=DRY_HELP),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        _run(source, folder, url, key, dry_run, as_json)

    command.__doc__ = f"Import from {source.value}: live (--url, --key) or from saved API answers (--from)."
    app.command(source.value)(command)


for _source in Source:
    _command(_source)
