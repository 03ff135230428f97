"""`warroom teams`: teams such as engineering and customer-support, on the server's database."""

from __future__ import annotations

import typer

from warroom.accounts import service as accounts
from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import fail, say, show_json, show_table, table

app = typer.Typer(help="Teams: create, list, add a member.", no_args_is_help=True)


@app.command("create")
def create(
    slug: str = typer.Argument(..., help="Short name, e.g. customer-support."),
    name: str | None = typer.Option(None, "--name", help="Display name (default: the slug)."),
) -> None:
    """Create a team."""
    with local_runtime() as runtime, writing(runtime) as db:
        team = accounts.create_team(db=db, actor=cli_actor(runtime), slug=slug, name=name or slug)
    say(f"Created team {team.slug} ({team.name}).", "green")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
    """List teams and their members."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        rows = [(t, [u.handle for u in accounts.team_members(db=db, team=t)]) for t in accounts.list_teams(db=db)]
    if as_json:
        show_json([{"id": t.id, "slug": t.slug, "name": t.name, "members": members} for t, members in rows])
        return
    if not rows:
        say("No teams yet. Create one with `warroom teams create engineering`.")
        return
    grid = table("team", "name", "members")
    for t, members in rows:
        grid.add_row(t.slug, t.name, ", ".join(f"@{m}" for m in members) or "-")
    show_table(grid)


@app.command("add-member")
def add_member(
    team: str = typer.Argument(..., help="The team's slug."),
    user: str = typer.Argument(..., help="@handle or email."),
) -> None:
    """Add someone to a team (a messenger should be in customer-support)."""
    with local_runtime() as runtime, writing(runtime) as db:
        found = accounts.find_team(db=db, name=team)
        if found is None:
            fail(f"No team '{team}'. Create it with `warroom teams create {team}`.")
        person = accounts.find_person(db=db, who=user)
        accounts.add_member(db=db, actor=cli_actor(runtime), team=found, user=person)
    say(f"@{person.handle} is in {found.slug}.", "green")
