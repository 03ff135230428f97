"""`warroom status-pages`: the public status pages, their groups and components, on the server's database."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.orm import Session

from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import say, show_json, show_table, table
from warroom.statuspage import service as pages
from warroom.statuspage.models import StatusPage

app = typer.Typer(help="Status pages on the server's database: list, show, create.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
PAGE = typer.Argument(..., metavar="PAGE", help="The page's short name, e.g. acme-cloud.")


def _shown(db: Session, page: StatusPage) -> dict[str, Any]:
    groups = {g.id: g.name for g in pages.list_groups(db=db, page_id=page.id)}
    editors = pages.editor_team(db=db, page=page)
    return {"slug": page.slug, "name": page.name, "description": page.description,
            "team": editors.slug if editors else None, "listed": page.listed, "groups": list(groups.values()),
            "components": [{"id": c.id, "name": c.name, "description": c.description,
                            "group": groups.get(c.group_id) if c.group_id else None, "state": c.state.value}
                           for c in pages.list_components(db=db, page_id=page.id)]}


@app.command("list")
def list_(as_json: bool = JSON) -> None:
    """List the status pages."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        found = [_shown(db, p) for p in pages.list_pages(db=db)]
    if as_json:
        show_json(found)
        return
    if not found:
        say("No status pages yet. Create one with `warroom status-pages create acme-cloud --name 'Acme Cloud' "
            "--component API --component Dashboard`.")
        return
    grid = table("page", "name", "editors", "listed", "components")
    for p in found:
        grid.add_row(p["slug"], p["name"], p["team"] or "admins", "yes" if p["listed"] else "no",
                     str(len(p["components"])))
    show_table(grid)


@app.command("show")
def show(slug: str = PAGE, as_json: bool = JSON) -> None:
    """A status page: its components (by group) and their state now."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        found = _shown(db, pages.get_page(db=db, slug=slug))
    if as_json:
        show_json(found)
        return
    editors = f"the {found['team']} team and admins" if found["team"] else "admins"
    listed = "listed at /status" if found["listed"] else "unlisted"
    say(f"{found['name']} ({found['slug']}) · /status/{found['slug']} · {listed} · edited by {editors}", "bold")
    if found["description"]:
        say(found["description"])
    if not found["components"]:
        say("No components yet.")
        return
    grid = table("#", "component", "group", "state")
    for c in found["components"]:
        grid.add_row(str(c["id"]), c["name"], c["group"] or "-", c["state"].replace("_", " "))
    show_table(grid)


@app.command("create")
def create(
    slug: str = PAGE,
    name: str = typer.Option(..., "--name", help="The page's title, e.g. 'Acme Cloud status'."),
    description: str = typer.Option("", "--description", help="Shown under the title."),
    team: str | None = typer.Option(None, "--team", help="The team whose members may edit it (admins always may)."),
    unlisted: bool = typer.Option(False, "--unlisted", help="Leave it out of the /status list (still public at "
                                  "its own address)."),
    component: list[str] = typer.Option([], "--component", help="A component (repeat); 'Group/Name' puts it in a "
                                        "group, e.g. 'Core/API'."),
) -> None:
    """Create a status page with its components."""
    with local_runtime() as runtime, writing(runtime) as db:
        actor = cli_actor(runtime)
        page = pages.create_page(db=db, actor=actor, slug=slug, name=name, description=description, team=team,
                                 listed=not unlisted)
        made: set[str] = set()
        for text in component:
            group, _, name_ = text.rpartition("/")
            group = group.strip()
            if group and group not in made:
                pages.create_group(db=db, actor=actor, page=page, name=group)
                made.add(group)
            pages.create_component(db=db, actor=actor, page=page, name=name_, group=group or None)
    say(f"Created status page {page.slug}: /status/{page.slug} ({len(component)} components).", "green")
