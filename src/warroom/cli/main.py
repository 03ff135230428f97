"""The `warroom` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from warroom import __version__
from warroom.cli import (
    alert,
    db,
    demo,
    imports,
    incident,
    matrix,
    oncall,
    policies,
    schedules,
    slack,
    status_pages,
    teams,
    tokens,
    users,
)
from warroom.cli import config as config_cli
from warroom.cli.command import command
from warroom.cli.dashboard import announcements, dashboard
from warroom.cli.doctor import doctor
from warroom.cli.engine import engine
from warroom.cli.insights import insights
from warroom.cli.login import login, logout
from warroom.cli.serve import serve

app = typer.Typer(
    name="warroom",
    help="Warroom: self-hosted incident response. `warroom serve` runs it; `warroom incident …` runs an "
         "incident on a server.",
    no_args_is_help=True,
    add_completion=False,
    # Plain tracebacks: Rich's would print local variables, and tokens live in some of them.
    pretty_exceptions_enable=False,
)

app.command("serve")(serve)
app.command("engine")(engine)
app.command("doctor")(doctor)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(teams.app, name="teams")
app.add_typer(tokens.app, name="tokens")
app.add_typer(demo.app, name="demo")
app.command("login")(login)
app.command("logout")(logout)
app.add_typer(incident.app, name="incident")
app.add_typer(oncall.app, name="oncall")
app.add_typer(alert.app, name="alert")
app.command("command")(command)
app.command("announcements")(announcements)
app.command("dashboard")(dashboard)
app.add_typer(slack.app, name="slack")
app.command("insights")(insights)
app.add_typer(matrix.app, name="matrix")
app.add_typer(imports.app, name="import")
app.add_typer(config_cli.app, name="config")
app.add_typer(schedules.app, name="schedules")
app.add_typer(policies.app, name="policies")
app.add_typer(status_pages.app, name="status-pages")


def _version(show: bool) -> None:
    if show:
        typer.echo(f"warroom {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Warroom: self-hosted incident response."""
