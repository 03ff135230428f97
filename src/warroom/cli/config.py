"""`warroom config`: the set-up as a YAML file (export, plan, apply) on the server's database."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import fail, say, show_json, warn
from warroom.config_as_code import service as config
from warroom.config_as_code.document import ConfigError
from warroom.config_as_code.planning import Action, Plan
from warroom.config_as_code.schema import schema_text
from warroom.core.errors import WarroomError

app = typer.Typer(help="Config as code: export the set-up as YAML, plan a file against the database, apply it.",
                  no_args_is_help=True)

FILE = typer.Option(..., "--file", "-f", help="The YAML file ('-' reads standard input).")
PRUNE = typer.Option(False, "--prune", help="Also delete what the file's sections leave out (schedules, policies, "
                     "keys, templates, announcement days; contact methods, team members, overrides).")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
STYLES = {Action.create: "green", Action.change: "yellow", Action.delete: "red", Action.keep: "cyan"}


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        fail(f"Cannot read {path}: {error.strerror or error}.")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text.")


def _show(plan: Plan, *, verbose: bool) -> None:
    for step in plan.steps:
        if step.action is Action.same and not (verbose and step.notes):
            continue
        lines = config.describe(step)
        say(lines[0], STYLES.get(step.action))
        for line in lines[1:]:
            say(line)
    say(plan.summary() + ".", "bold")


@app.command("export")
def export(output: str | None = typer.Option(None, "--output", "-o", help="Write to this file, not stdout.")) -> None:
    """Write the set-up as YAML: people (no secrets), teams, schedules, policies, keys (names, not values) …"""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        text = config.export_text(db=db, now=runtime.clock.now())
    if output is None:
        typer.echo(text, nl=False)
        return
    Path(output).write_text(text, encoding="utf-8")
    say(f"Wrote {output}.", "green")


@app.command("plan")
def plan(path: str = FILE, prune: bool = PRUNE, as_json: bool = JSON) -> None:
    """Show what applying the file would create, change, delete (with --prune) or keep, by natural key."""
    text = _read(path)
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        try:
            planned = config.plan(db=db, text=text, now=runtime.clock.now(), prune=prune).plan
        except ConfigError as error:
            fail(f"{path}: {error.message}")
    if as_json:
        show_json({"changes": planned.changes, "steps": [config.as_json(s) for s in planned.steps
                                                          if s.action is not Action.same]})
        return
    _show(planned, verbose=True)


@app.command("apply")
def apply(path: str = FILE, prune: bool = PRUNE, as_json: bool = JSON) -> None:
    """Make the database match the file, in one transaction; applying it again changes nothing."""
    text = _read(path)
    with local_runtime() as runtime, writing(runtime) as db:
        try:
            applied = config.apply(db=db, actor=cli_actor(runtime), text=text, outbound=runtime.outbound,
                                   prune=prune)
        except WarroomError as error:
            fail(f"{path}: {error.message} Nothing was changed.")
    if as_json:
        show_json({"changes": applied.plan.changes,
                   "steps": [config.as_json(s) for s in applied.plan.steps if s.action is not Action.same],
                   "new_keys": [{"kind": s.kind, "name": s.name, "secret": s.secret} for s in applied.secrets]})
        return
    _show(applied.plan, verbose=False)
    for made in applied.secrets:
        warn(f"New {made.kind} key '{made.name}': {made.secret} (shown once; give it to the tool that sends)")
    if applied.plan.changes == 0:
        say("Nothing to change: the database already matches the file.", "green")


@app.command("schema")
def schema() -> None:
    """Print the file's JSON Schema (for editors; also docs/config.schema.json)."""
    typer.echo(schema_text(), nl=False)
