"""`warroom schedules`: on-call schedules, their layers and overrides, on the server's database.

Set-up commands like `warroom teams`; `warroom oncall …` asks a running server with a token instead. Layers and
overrides print in the shape `warroom config export` writes them.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import typer
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.cli.local import cli_actor, local_runtime, reading, writing
from warroom.cli.output import fail, say, show_json, show_table, table
from warroom.config_as_code.snapshot import Names, layer_record, override_record, stamp
from warroom.core.clock import as_utc
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule

app = typer.Typer(help="On-call schedules on the server's database: list, show, create; layers; overrides.",
                  no_args_is_help=True)
layers_app = typer.Typer(help="A schedule's layers (rotations): add, remove.", no_args_is_help=True)
overrides_app = typer.Typer(help="A schedule's overrides (someone covers): create, list, delete.",
                            no_args_is_help=True)
app.add_typer(layers_app, name="layers")
app.add_typer(overrides_app, name="overrides")

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
SCHEDULE = typer.Argument(..., metavar="SCHEDULE", help="The schedule's slug, e.g. platform-primary.")
MAX_ID = 2**31 - 1
RESTRICTION_RE = re.compile(r"^\s*([0-6](?:\s*[-,]\s*[0-6])*)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)\s*$")


def team_or_none(db: Session, slug: str | None) -> Team | None:
    if slug is None:
        return None
    team = accounts.find_team(db=db, name=slug)
    if team is None:
        fail(f"No team '{slug}'. Create it with `warroom teams create {slug}`.")
    return team


def _summary(db: Session, schedule: Schedule, names: Names, now: datetime) -> dict[str, Any]:
    layers = [{"id": layer.id, **layer_record(layer, names)}
              for layer in schedules.list_layers(db=db, schedule=schedule)]
    overrides = [{"id": o.id, **override_record(o, schedule.time_zone, names)}
                 for o in schedules.list_overrides(db=db, schedule=schedule, start=now)]
    on_call = [u.handle for u in schedules.who_is_on_call(db=db, at=now, schedule=schedule)]
    return {"slug": schedule.slug, "name": schedule.name, "time_zone": schedule.time_zone,
            "team": names.team(schedule.team_id), "description": schedule.description, "on_call_now": on_call,
            "layers": layers, "overrides": overrides}


@app.command("list")
def list_(team: str | None = typer.Option(None, "--team", help="Only this team's schedules."),
          as_json: bool = JSON) -> None:
    """List the schedules, with who is on call now."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        found = team_or_none(db, team)
        rows = schedules.schedules_for_team(db=db, team=found) if found else schedules.list_schedules(db=db)
        names, now = Names.read(db), runtime.clock.now()
        listed = [_summary(db, s, names, now) for s in rows]
    if as_json:
        show_json(listed)
        return
    if not listed:
        say("No schedules yet. Create one with `warroom schedules create platform-primary --name 'Platform "
            "primary' --time-zone Europe/Berlin`.")
        return
    grid = table("schedule", "name", "time zone", "team", "layers", "on call now")
    for s in listed:
        grid.add_row(s["slug"], s["name"], s["time_zone"], s["team"] or "-", str(len(s["layers"])),
                     ", ".join(f"@{h}" for h in s["on_call_now"]) or "nobody")
    show_table(grid)


def _layer_line(layer: dict[str, Any]) -> str:
    turn = f"every {layer['length_hours']} h" if layer["rotation"] == "custom" else layer["rotation"]
    windows = "; ".join(f"days {','.join(str(d) for d in r['days'])} {r['start']}-{r['end']}"
                        for r in layer["restrictions"])
    return (f"  #{layer['id']} {layer['name']}: {turn}, hand-off {layer['handoff']}, "
            + " → ".join(f"@{p}" for p in layer["participants"]) + (f" (only {windows})" if windows else ""))


@app.command("show")
def show(slug: str = SCHEDULE, as_json: bool = JSON) -> None:
    """A schedule: its layers (a higher one wins), coming overrides and who is on call now."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        shown = _summary(db, schedule, Names.read(db), runtime.clock.now())
    if as_json:
        show_json(shown)
        return
    team = f" · team {shown['team']}" if shown["team"] else ""
    say(f"{shown['name']} ({shown['slug']}) · {shown['time_zone']}{team}", "bold")
    if shown["description"]:
        say(shown["description"])
    say("On call now: " + (", ".join(f"@{h}" for h in shown["on_call_now"]) or "nobody"))
    say("Layers (a higher one wins where it has someone):" if shown["layers"] else "No layers yet: "
        f"`warroom schedules layers add {shown['slug']} --rotation weekly --handoff 2026-01-05T09:00 -p @alice`.")
    for layer in shown["layers"]:
        say(_layer_line(layer))
    for o in shown["overrides"]:
        covers = f" for @{o['replaces']}" if o["replaces"] else ""
        say(f"  Override #{o['id']}: @{o['user']}{covers} from {o['start']} to {o['end']}", "cyan")


@app.command("create")
def create(
    slug: str = SCHEDULE,
    name: str = typer.Option(..., "--name", help="Display name, e.g. 'Platform primary'."),
    time_zone: str = typer.Option(..., "--time-zone", help="IANA time zone, e.g. Europe/Berlin."),
    team: str | None = typer.Option(None, "--team", help="The owning team's slug."),
    description: str = typer.Option("", "--description", help="What the schedule is for."),
) -> None:
    """Create a schedule (then add layers to it)."""
    with local_runtime() as runtime, writing(runtime) as db:
        schedule = schedules.create_schedule(db=db, actor=cli_actor(runtime), slug=slug, name=name,
                                             time_zone=time_zone, team=team_or_none(db, team),
                                             description=description)
    say(f"Created schedule {schedule.slug} ({schedule.time_zone}). Add a rotation: `warroom schedules layers add "
        f"{schedule.slug} --rotation weekly --handoff 2026-01-05T09:00 -p @alice -p @bob`.", "green")


# Layers -------------------------------------------------------------------------------------------------------


def parse_restriction(text: str) -> dict[str, Any]:
    """``0-4 09:00-17:00`` or ``5,6 22:00-06:00``: weekdays (Monday=0) and a window."""
    found = RESTRICTION_RE.match(text)
    if found is None:
        fail(f"--restrict '{text}' is not DAYS HH:MM-HH:MM, e.g. '0-4 09:00-17:00' (Monday=0 … Sunday=6).")
    days: list[int] = []
    for part in found.group(1).replace(" ", "").split(","):
        low, _, high = part.partition("-")
        days.extend(range(int(low), int(high or low) + 1))
    return {"days": sorted(set(days)), "start": found.group(2), "end": found.group(3)}


@layers_app.command("add")
def add_layer(
    slug: str = SCHEDULE,
    rotation: str = typer.Option(..., "--rotation", help="daily, weekly or custom (with --length-hours)."),
    handoff: str = typer.Option(..., "--handoff", help="The first hand-off, wall-clock time in the schedule's "
                                "zone, e.g. 2026-01-05T09:00."),
    participant: list[str] = typer.Option(..., "--participant", "-p", help="Who takes a turn, in order "
                                          "(repeat): @handle or email."),
    name: str = typer.Option("", "--name", help="The layer's name (default: Layer N)."),
    length_hours: int | None = typer.Option(None, "--length-hours", help="Hours per turn (custom rotations)."),
    restrict: list[str] = typer.Option([], "--restrict", help="On call only in this window, e.g. "
                                       "'0-4 09:00-17:00' (repeat for several)."),
) -> None:
    """Add a rotation on top of the schedule's layers (it wins where it has someone on call)."""
    windows = [parse_restriction(text) for text in restrict]
    with local_runtime() as runtime, writing(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        layer = schedules.add_layer(db=db, actor=cli_actor(runtime), schedule=schedule, rotation=rotation,
                                    handoff_local=handoff, participants=participant, name=name,
                                    length_hours=length_hours, restrictions=windows)
    say(f"Added layer #{layer.id} ({layer.name}) to {schedule.slug}.", "green")


@layers_app.command("remove")
def remove_layer(slug: str = SCHEDULE, layer_id: int = typer.Argument(
        ..., metavar="LAYER", min=1, max=MAX_ID, help="The layer's number (#id in show).")) -> None:
    """Remove a layer from a schedule."""
    with local_runtime() as runtime, writing(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        layer = schedules.get_layer(db=db, layer_id=layer_id)
        if layer.schedule_id != schedule.id:
            fail(f"Layer #{layer_id} is not on {schedule.slug}; `warroom schedules show {schedule.slug}` lists its "
                 "layers.")
        schedules.remove_layer(db=db, actor=cli_actor(runtime), layer=layer)
    say(f"Removed layer #{layer_id} ({layer.name}) from {schedule.slug}.", "green")


# Overrides ----------------------------------------------------------------------------------------------------


def moment(text: str, zone: str, option: str) -> datetime:
    """An ISO time; without an offset it is wall-clock time in the schedule's zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} '{text}' is not a time. Use YYYY-MM-DDTHH:MM (in the schedule's zone, {zone}) or add an "
             "offset, e.g. 2026-03-02T09:00+01:00.")
    return as_utc(value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone)))


@overrides_app.command("create")
def create_override(
    slug: str = SCHEDULE,
    user: str = typer.Option(..., "--user", help="Who covers: @handle or email."),
    start: str = typer.Option(..., "--from", help="Start, e.g. 2026-03-02T09:00 (the schedule's zone)."),
    end: str = typer.Option(..., "--to", help="End (at most 90 days later)."),
    replaces: str | None = typer.Option(None, "--replaces", help="Whom they cover for; leave out to cover "
                                        "whoever is on call."),
) -> None:
    """Someone covers on a schedule for a while (the newest override wins where they overlap)."""
    with local_runtime() as runtime, writing(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        zone = schedule.time_zone
        override = schedules.add_override(db=db, actor=cli_actor(runtime), schedule=schedule, user=user,
                                          replaces=replaces, start_at=moment(start, zone, "--from"),
                                          end_at=moment(end, zone, "--to"))
        shown = override_record(override, zone, Names.read(db))
    covers = f" for @{shown['replaces']}" if shown["replaces"] else ""
    say(f"@{shown['user']} covers{covers} on {slug} from {shown['start']} to {shown['end']}; override "
        f"#{override.id}.", "green")


@overrides_app.command("list")
def list_overrides(slug: str = SCHEDULE,
                   past_days: int = typer.Option(0, "--past-days", min=0, max=3660,
                                                 help="Also those that ended in the last N days."),
                   as_json: bool = JSON) -> None:
    """A schedule's overrides that have not ended (in the schedule's zone)."""
    with local_runtime(existing=True) as runtime, reading(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        since = runtime.clock.now() - timedelta(days=past_days)
        names = Names.read(db)
        found = [{"id": o.id, **override_record(o, schedule.time_zone, names),
                  "created_at": stamp(o.created_at, schedule.time_zone)}
                 for o in schedules.list_overrides(db=db, schedule=schedule, start=since)]
    if as_json:
        show_json(found)
        return
    if not found:
        say(f"No overrides on {slug}. Cover for someone with `warroom schedules overrides create {slug} --user @bob "
            "--from 2026-03-02T09:00 --to 2026-03-03T09:00`.")
        return
    grid = table("#", "covers", "for", "from", "to", title=f"Overrides on {slug} ({schedule.time_zone})")
    for o in found:
        grid.add_row(str(o["id"]), f"@{o['user']}", f"@{o['replaces']}" if o["replaces"] else "whoever is on",
                     o["start"], o["end"])
    show_table(grid)


@overrides_app.command("delete")
def delete_override(slug: str = SCHEDULE, override_id: int = typer.Argument(
        ..., metavar="OVERRIDE", min=1, max=MAX_ID, help="The override's number.")) -> None:
    """Remove an override: the rotation's own people are on call again."""
    with local_runtime() as runtime, writing(runtime) as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        override = schedules.get_override(db=db, override_id=override_id)
        if override.schedule_id != schedule.id:
            fail(f"Override #{override_id} is not on {schedule.slug}; `warroom schedules overrides list "
                 f"{schedule.slug}` lists them.")
        schedules.remove_override(db=db, actor=cli_actor(runtime), override=override)
    say(f"Removed override #{override_id} from {slug}.", "green")
