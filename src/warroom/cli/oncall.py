"""`warroom oncall …`: who is on call, schedules and their coming shifts, overrides, escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from warroom.cli.output import fail, say, show_json, show_table, table
from warroom.cli.remote import Api, segment
from warroom.cli.render import when

app = typer.Typer(help="On call on a Warroom server: who is on call, schedules, overrides, escalation policies.",
                  no_args_is_help=True)
schedule_app = typer.Typer(help="One on-call schedule.", no_args_is_help=True)
app.add_typer(schedule_app, name="schedule")

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
SLUG = typer.Argument(..., metavar="SCHEDULE", help="The schedule's slug, e.g. platform-primary.")
MAX_PAGE = 200


def _schedule_path(slug: str, *rest: str) -> str:
    return "/".join(["/schedules", segment(slug), *rest])


def _handles(names: list[str]) -> str:
    return ", ".join(f"@{n}" for n in names) or "nobody"


# Who is on call ---------------------------------------------------------------------------------------


@app.command("who")
def who(
    target: str = typer.Argument("", metavar="[TEAM|SCHEDULE]", help="A team or schedule; every schedule when "
                                 "left out."),
    at: str | None = typer.Option(None, "--at", help="A time instead of now, e.g. 2026-03-02T09:00 (UTC) or "
                                  "2026-03-02T09:00+01:00."),
    as_json: bool = JSON,
) -> None:
    """Who is on call now (or at a time): `/genie whoisoncall`."""
    body = Api().get("/oncall", target=target.strip() or None, at=at)
    if as_json:
        show_json(body)
        return
    lines = body.get("on_call") or []
    if not lines:
        say(body.get("message", "No on-call schedules yet."))
        return
    say("On call " + ("now" if at is None else f"at {when(body.get('at'))} UTC") + ":", "bold")
    for line in lines:
        team = f" ({line['team']})" if line.get("team") else ""
        say(f"  {line['schedule']}{team}: {_handles(line.get('users') or [])}",
            None if line.get("users") else "yellow")


# Schedules --------------------------------------------------------------------------------------------


@app.command("schedules")
def schedules(
    team: str | None = typer.Option(None, "--team", help="Only this team's schedules."),
    as_json: bool = JSON,
) -> None:
    """List the on-call schedules."""
    page = Api().get("/schedules", team=team, limit=MAX_PAGE)
    if as_json:
        show_json(page)
        return
    items = page.get("items") or []
    if not items:
        say("No on-call schedules yet. An admin creates one with POST /api/v1/schedules or on the On-call page.")
        return
    grid = table("slug", "name", "time zone", "team")
    for s in items:
        grid.add_row(s["slug"], s["name"], s["time_zone"], s.get("team") or "-")
    show_table(grid)


def _local(value: str, zone: ZoneInfo) -> str:
    moment = datetime.fromisoformat(value).astimezone(zone)
    return f"{moment:%a %Y-%m-%d %H:%M}"


def _layer_line(layer: dict[str, Any]) -> str:
    turn = (f"every {layer['length_hours']} h" if layer["rotation"] == "custom" else layer["rotation"])
    windows = "; ".join(f"{r['start']}-{r['end']} on days {','.join(str(d) for d in r['days'])}"
                        for r in layer.get("restrictions") or [])
    limits = f" (only {windows})" if windows else ""
    return (f"  {layer['name']} (#{layer['id']}): {turn}, hand-off {layer['handoff_local']} — "
            + " → ".join(f"@{p}" for p in layer["participants"]) + limits)


@schedule_app.command("show")
def show(
    slug: str = SLUG,
    days: int = typer.Option(14, "--days", min=1, max=366, help="How many days of coming shifts."),
    as_json: bool = JSON,
) -> None:
    """A schedule: its layers, overrides and the coming shifts (in the schedule's time zone)."""
    api = Api()
    detail = api.get(_schedule_path(slug))
    coming = api.get(_schedule_path(slug, "timeline"), days=days)
    if as_json:
        show_json({**detail, "timeline": coming})
        return
    zone = ZoneInfo(detail["time_zone"])
    team = f" · team {detail['team']}" if detail.get("team") else ""
    say(f"{detail['name']} ({detail['slug']}) · {detail['time_zone']}{team}", "bold")
    if detail.get("description"):
        say(detail["description"])
    say("Layers (a higher one wins where it has someone):" if detail["layers"] else "No layers yet.")
    for layer in detail["layers"]:
        say(_layer_line(layer))
    for o in detail.get("overrides") or []:
        covers = f" for @{o['replaces']}" if o.get("replaces") else ""
        say(f"  Override #{o['id']}: @{o['user']}{covers} from {_local(o['start_at'], zone)} to "
            f"{_local(o['end_at'], zone)}", "cyan")
    shifts = coming.get("shifts") or []
    if not shifts:
        say(f"Nobody is on call in the next {days} days.", "yellow")
        return
    grid = table("from", "to", "on call", title=f"The next {days} days ({detail['time_zone']})")
    for shift in shifts:
        grid.add_row(_local(shift["start"], zone), _local(shift["end"], zone), f"@{shift['user']}")
    show_table(grid)


def _moment(text: str, zone: str, option: str) -> str:
    """An ISO time; without an offset it is wall-clock time in the schedule's zone, as shifts are shown."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} '{text}' is not a time. Use YYYY-MM-DDTHH:MM (in the schedule's zone, {zone}) or add an "
             "offset, e.g. 2026-03-02T09:00+01:00.")
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        except ZoneInfoNotFoundError:
            fail(f"This machine does not know the time zone {zone}; give {option} with an offset.")
    return moment.isoformat()


@app.command("override")
def override(
    slug: str = SLUG,
    user: str = typer.Option(..., "--user", help="Who covers: @handle or email."),
    replaces: str | None = typer.Option(None, "--replaces", help="Whom they cover for; leave out to cover whoever "
                                        "is on call."),
    start: str = typer.Option(..., "--from", help="Start, e.g. 2026-03-02T09:00 (the schedule's zone)."),
    end: str = typer.Option(..., "--to", help="End (at most 90 days later)."),
    as_json: bool = JSON,
) -> None:
    """Cover for someone on a schedule for a while (an override; the newest wins where they overlap)."""
    api = Api()
    zone = api.get(_schedule_path(slug))["time_zone"]
    body = api.post(_schedule_path(slug, "overrides"), {
        "user": user, "replaces": replaces, "start_at": _moment(start, zone, "--from"),
        "end_at": _moment(end, zone, "--to")})
    if as_json:
        show_json(body)
        return
    covers = f" for @{body['replaces']}" if body.get("replaces") else ""
    local = ZoneInfo(zone)
    say(f"@{body['user']} covers{covers} on {slug} from {_local(body['start_at'], local)} to "
        f"{_local(body['end_at'], local)} ({zone}); override #{body['id']}", "green")


# Escalation policies ----------------------------------------------------------------------------------


def _target(target: dict[str, Any]) -> str:
    return f"@{target['name']}" if target["type"] == "user" else f"{target['type']} {target['name']}"


@app.command("policies")
def policies(as_json: bool = JSON) -> None:
    """List escalation policies: who each step pages, and how long it waits for an acknowledgement."""
    page = Api().get("/escalation-policies", limit=MAX_PAGE)
    if as_json:
        show_json(page)
        return
    items = page.get("items") or []
    if not items:
        say("No escalation policies yet: paging a team pages whoever is on call in its schedules.")
        return
    for policy in items:
        team = f" · team {policy['team']}" if policy.get("team") else ""
        repeat = f" · repeats {policy['repeat']} more times" if policy.get("repeat") else ""
        say(f"{policy['slug']}: {policy['name']}{team}{repeat}", "bold")
        for step in policy["steps"]:
            pages = ", ".join(_target(t) for t in step["targets"])
            say(f"  {step['position']}. page {pages}, then wait {step['delay_minutes']} min for an acknowledgement")
