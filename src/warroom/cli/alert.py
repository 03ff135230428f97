"""`warroom alert …`: raise, list, show and act on alerts on a Warroom server (`/genie alert … for …`)."""

from __future__ import annotations

import re
from typing import Any

import typer

from warroom.cli.output import say, show_json, show_table, table, warn
from warroom.cli.remote import Api, segment
from warroom.cli.render import when

app = typer.Typer(help="Alerts on a Warroom server: raise one for a team or person, acknowledge, close …",
                  no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
ALERT = typer.Argument(..., metavar="ALERT", help="The alert's number, e.g. 42 (or #42).")
NOTE = typer.Option("", "--note", help="Why, for the alert's timeline.")
DURATION_RE = re.compile(r"^(\d{1,5})\s*([mhd])$", re.IGNORECASE)
MINUTES = {"m": 1, "h": 60, "d": 1440}
STATUS_STYLE = {"open": "red", "acknowledged": "yellow", "closed": "dim"}
DELIVERY_STYLE = {"queued": "", "sent": "green", "failed": "red", "cancelled": "dim"}
MAX_PAGE = 200


def _path(alert: str, *rest: str) -> str:
    return "/".join(["/alerts", segment(alert), *rest])


def _words(words: list[str]) -> str:
    return " ".join(words).strip()


def _paged(alert: dict[str, Any]) -> str:
    who = [f"@{r['name']}" if r["type"] == "user" else r["name"] for r in alert.get("responders") or []]
    if alert.get("escalation_policy"):
        who.append(f"policy {alert['escalation_policy']}")
    return ", ".join(who) or (alert.get("team") or "-")


def _done(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        show_json(body)
    else:
        say(str(body.get("message", "")), "green")


# Raise and look ---------------------------------------------------------------------------------------


@app.command("create")
def create(
    message: list[str] = typer.Argument(..., metavar="MESSAGE", help="What is wrong (and a link), quotes optional."),
    for_: str = typer.Option(..., "--for", help="Who to page: a team (customer-support, @delivery), @handle or "
                             "email."),
    priority: str | None = typer.Option(None, "--priority", "-p", help="P1 (critical) to P5; P3 by default."),
    alias: str = typer.Option("", "--alias", help="Dedup key: while its alert is open, repeats only count up."),
    description: str = typer.Option("", "--description", "-d", help="More detail."),
    tag: list[str] = typer.Option([], "--tag", help="A tag (repeat for more)."),
    incident: str | None = typer.Option(None, "--incident", help="Attach to this incident, e.g. INC-42."),
    as_json: bool = JSON,
) -> None:
    """Page a team or a person: `/genie alert <description> for <team or user>`."""
    body = Api().post("/alerts", {"message": _words(message), "for": for_, "priority": priority, "alias": alias,
                                  "description": description, "tags": tag, "incident": incident})
    if as_json:
        show_json(body)
        return
    alert = body["alert"]
    say(f"{body['message']} — paging {_paged(alert)} ({alert['priority']})", "green")
    if alert.get("incident"):
        say(f"Part of {alert['incident']}")


@app.command("list")
def list_(
    status: list[str] = typer.Option([], "--status", help="open, acknowledged or closed (repeat for several)."),
    team: str | None = typer.Option(None, "--team", help="Only this team's alerts."),
    incident: str | None = typer.Option(None, "--incident", help="Only alerts of this incident."),
    limit: int = typer.Option(20, "--limit", min=1, max=MAX_PAGE),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = JSON,
) -> None:
    """List alerts, newest first."""
    page = Api().get("/alerts", status=",".join(status) or None, team=team, incident=incident, limit=limit,
                     offset=offset)
    if as_json:
        show_json(page)
        return
    items = page.get("items") or []
    if not items:
        say("No alerts match.")
        return
    grid = table("#", "priority", "status", "message", "paging", "count", "opened", "incident")
    for a in items:
        grid.add_row(str(a["id"]), a["priority"], a["status"], a["message"], _paged(a), str(a["count"]),
                     when(a.get("created_at")), a.get("incident") or "-")
    show_table(grid)
    say(f"{page['offset'] + 1} to {page['offset'] + len(items)} of {page['total']}", "dim")


@app.command("show")
def show(alert: str = ALERT, as_json: bool = JSON) -> None:
    """An alert: what it says, its timeline, and every notification sent for it."""
    body = Api().get(_path(alert))
    if as_json:
        show_json(body)
        return
    say(f"#{body['id']} [{body['priority']}] {body['message']}", "bold")
    say(f"{body['status']} · paging {_paged(body)} · {body['count']} event(s) · alias {body['alias']}",
        STATUS_STYLE.get(body["status"]))
    for label, key in (("Acknowledged by", "acknowledged_by"), ("Closed by", "closed_by"),
                       ("Snoozed until", "snoozed_until"), ("Incident", "incident")):
        if body.get(key):
            value = when(body[key]) if key == "snoozed_until" else body[key]
            say(f"{label}: {'@' if key.endswith('_by') else ''}{value}")
    if body.get("description"):
        say(body["description"])
    say("Timeline:", "bold")
    for event in body.get("events") or []:
        who = f"@{event['actor']}" if event.get("actor") else "warroom"
        say(f"  {when(event.get('created_at'))}  {who}: {event['body']}")
    deliveries = body.get("deliveries") or []
    if not deliveries:
        say("No notifications yet.", "dim")
        return
    grid = table("to", "by", "status", "attempts", "due", "sent", "error", title="Notifications")
    for d in deliveries:
        grid.add_row(f"@{d['user']}", d["kind"], d["status"], str(d["attempts"]), when(d.get("due_at")),
                     when(d.get("sent_at")), d.get("last_error") or "")
    show_table(grid)


# Act --------------------------------------------------------------------------------------------------


@app.command("ack")
def ack(alert: str = ALERT, note: str = NOTE, as_json: bool = JSON) -> None:
    """Acknowledge: “I'm on it” — stops the escalation."""
    _done(Api().post(_path(alert, "acknowledge"), {"note": note}), as_json)


@app.command("unack")
def unack(alert: str = ALERT, note: str = NOTE, as_json: bool = JSON) -> None:
    """Hand an alert back: escalation starts again from the first step."""
    _done(Api().post(_path(alert, "unacknowledge"), {"note": note}), as_json)


@app.command("close")
def close(alert: str = ALERT, note: str = NOTE, as_json: bool = JSON) -> None:
    """Close an alert (the same alias then opens a new one)."""
    _done(Api().post(_path(alert, "close"), {"note": note}), as_json)


@app.command("note")
def note_(alert: str = ALERT, text: list[str] = typer.Argument(..., metavar="TEXT", help="The note."),
          as_json: bool = JSON) -> None:
    """Add a note to an alert's timeline."""
    _done(Api().post(_path(alert, "notes"), {"note": _words(text)}), as_json)


@app.command("snooze")
def snooze(
    alert: str = ALERT,
    until: str = typer.Option(..., "--until", help="30m, 2h, 1d, or a time such as 2026-03-02T09:00 (UTC) "
                              "or 2026-03-02T09:00+01:00; within 7 days."),
    note: str = NOTE,
    as_json: bool = JSON,
) -> None:
    """Quiet an alert for a while; escalation resumes where it stood."""
    match = DURATION_RE.match(until.strip())
    body: dict[str, Any] = {"note": note}
    if match:
        body["minutes"] = int(match.group(1)) * MINUTES[match.group(2).lower()]
    else:
        body["until"] = until.strip()
    _done(Api().post(_path(alert, "snooze"), body), as_json)


@app.command("escalate")
def escalate(alert: str = ALERT, as_json: bool = JSON) -> None:
    """Escalate now: page the next step without waiting."""
    _done(Api().post(_path(alert, "escalate"), {}), as_json)


@app.command("reassign")
def reassign(alert: str = ALERT, to: str = typer.Option(..., "--to", help="A team, @handle or email."),
             as_json: bool = JSON) -> None:
    """Page someone else instead; escalation restarts for them."""
    _done(Api().post(_path(alert, "reassign"), {"to": to}), as_json)


@app.command("attach")
def attach(alert: str = ALERT, incident: str = typer.Argument(..., metavar="INCIDENT", help="e.g. INC-42."),
           as_json: bool = JSON) -> None:
    """Attach an alert to an incident."""
    _done(Api().post(_path(alert, "incident"), {"incident": incident}), as_json)


@app.command("declare")
def declare(
    alert: str = ALERT,
    severity: str = typer.Option(..., "--severity", "-s", help="critical (very high impact: full outage, data "
                                 "breach) or major (significant impact: a sub-system failing)."),
    title: str | None = typer.Option(None, "--title", help="The incident's title; the alert's message by default."),
    as_json: bool = JSON,
) -> None:
    """Turn an alert into an incident: declare it, and the alert joins it."""
    body = Api().post(_path(alert, "declare"), {"severity": severity, "title": title})
    if as_json:
        show_json(body)
        return
    say(str(body["message"]), "green")
    for text in body.get("warnings") or []:
        warn(str(text))
    for step in (body.get("data") or {}).get("next_steps") or []:
        say(f"- {step}")
    if body["incident"].get("url"):
        say(f"Room: {body['incident']['url']}")
