"""`warroom incident …`: the handbook's steps against a running server's REST API, with a token."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import typer

from warroom.cli import render
from warroom.cli.output import fail, show_json
from warroom.cli.remote import Api, segment

app = typer.Typer(help="Run an incident on a Warroom server (WARROOM_URL, WARROOM_TOKEN or `warroom login`).",
                  no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")
REF = typer.Argument(..., metavar="INCIDENT", help="The incident, e.g. INC-42 (or 42).")
MAX_PAGE = 200


def _path(ref: str, *rest: str) -> str:
    return "/".join(["/incidents", segment(ref), *rest])


def _words(words: list[str]) -> str:
    return " ".join(words).strip()


def _done(body: Any, as_json: bool) -> None:
    if as_json:
        show_json(body)
    else:
        render.outcome(body)


# Declare and look ------------------------------------------------------------------------------------


@app.command("declare")
def declare(
    title: list[str] = typer.Argument(..., metavar="TITLE", help="What is wrong, in one line (quotes optional)."),
    severity: str = typer.Option(..., "--severity", "-s", help="critical (very high impact: full outage, data "
                                 "breach) or major (significant impact: a sub-system failing)."),
    description: str = typer.Option("", "--description", "-d", help="More detail."),
    customer_impact: bool = typer.Option(False, "--customer-impact", help="Customers are affected."),
    security: bool = typer.Option(False, "--security", help="A security issue (loops in security)."),
    suspected: bool = typer.Option(False, "--suspected", help="Not confirmed yet; declared to be safe."),
    service: list[str] = typer.Option([], "--service", help="An affected service (repeat, or a,b)."),
    reporter: str = typer.Option("", "--reporter", help="Who outside the company reported it."),
    as_json: bool = JSON,
) -> None:
    """Declare an incident: it gets a reference (INC-n) and its room, and is announced."""
    services = [s.strip() for item in service for s in item.split(",") if s.strip()]
    body = Api().post("/incidents", {
        "title": _words(title), "severity": severity, "description": description,
        "customer_impact": customer_impact, "security": security, "suspected": suspected,
        "affected_services": services, "external_reporter": reporter,
    })
    if as_json:
        show_json(body)
    else:
        render.declared(body)


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="investigating, identified, monitoring, "
                                      "resolved or closed."),
    active: bool | None = typer.Option(None, "--active/--inactive", help="Only open (or only finished) ones."),
    severity: str | None = typer.Option(None, "--severity", help="critical or major."),
    lead: str | None = typer.Option(None, "--lead", help="Led by @handle."),
    declared_from: str | None = typer.Option(None, "--from", help="Declared on or after (YYYY-MM-DD)."),
    declared_to: str | None = typer.Option(None, "--to", help="Declared before (YYYY-MM-DD)."),
    false_positive: bool | None = typer.Option(None, "--false-positive/--not-false-positive",
                                               help="Only false positives (or none)."),
    customer_impact: bool | None = typer.Option(None, "--customer-impact/--no-customer-impact",
                                                help="Only with (or without) customer impact."),
    search: str | None = typer.Option(None, "--search", "-q", help="Words in titles, summaries, room messages."),
    limit: int = typer.Option(20, "--limit", min=1, max=MAX_PAGE),
    offset: int = typer.Option(0, "--offset", min=0),
    as_json: bool = JSON,
) -> None:
    """List incidents, newest first, with the dashboard's filters and search."""
    page = Api().get("/incidents", status=status, active=active, severity=severity,
                     lead=lead.lstrip("@") if lead else None, q=search, limit=limit, offset=offset,
                     false_positive=false_positive, customer_impact=customer_impact,
                     **{"from": declared_from, "to": declared_to})
    if as_json:
        show_json(page)
    else:
        render.incident_list(page)


@app.command("show")
def show(
    ref: str = REF,
    entries: int = typer.Option(10, "--entries", "-n", min=0, max=MAX_PAGE, help="Latest room entries to show."),
    as_json: bool = JSON,
) -> None:
    """Show an incident: status, roles, checklist and the latest of its room."""
    api = Api()
    incident = api.get(_path(ref))
    latest = api.get(_path(ref, "timeline"), limit=entries)["items"] if entries else []
    if as_json:
        show_json({**incident, "timeline": latest})
    else:
        render.incident_detail(incident, latest)


@app.command("timeline")
def timeline(
    ref: str = REF,
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=MAX_PAGE, help="How many of the latest entries."),
    everything: bool = typer.Option(False, "--all", help="The whole room, from the declaration on."),
    as_json: bool = JSON,
) -> None:
    """Print the incident's room: messages, updates and every change, in order."""
    api = Api()
    if everything:
        entries: list[dict[str, Any]] = []
        while True:
            page = api.get(_path(ref, "timeline"), after=entries[-1]["id"] if entries else 0, limit=MAX_PAGE)
            entries.extend(page["items"])
            if not page["has_more"] or not page["items"]:
                break
    else:
        entries = api.get(_path(ref, "timeline"), limit=limit)["items"]
    if as_json:
        show_json(entries)
    else:
        render.timeline(entries)


@app.command("edit")
def edit(
    ref: str = REF,
    title: str | None = typer.Option(None, "--title", help="A better title."),
    description: str | None = typer.Option(None, "--description", "-d"),
    customer_impact: bool | None = typer.Option(None, "--customer-impact/--no-customer-impact"),
    security: bool | None = typer.Option(None, "--security/--no-security",
                                         help="Mark as a security issue (loops in security)."),
    suspected: bool | None = typer.Option(None, "--suspected/--confirmed", help="Still unconfirmed, or confirmed."),
    service: list[str] | None = typer.Option(None, "--service", help="Replace the affected services (repeat)."),
    reporter: str | None = typer.Option(None, "--reporter", help="Who outside the company reported it."),
    as_json: bool = JSON,
) -> None:
    """Change an incident's details; only the options given change."""
    changes = {"title": title, "description": description, "customer_impact": customer_impact,
               "security": security, "suspected": suspected, "external_reporter": reporter,
               "affected_services": [s.strip() for i in service for s in i.split(",") if s.strip()]
               if service else None}
    _done(Api().patch(_path(ref), {k: v for k, v in changes.items() if v is not None}), as_json)


@app.command("invite")
def invite(ref: str = REF, who: str = typer.Argument(..., help="@handle or email."), as_json: bool = JSON) -> None:
    """Add someone to the incident (a private security incident is visible only to those taking part)."""
    _done(Api().post(_path(ref, "participants"), {"user": who}), as_json)


# Roles -----------------------------------------------------------------------------------------------


def _assign(ref: str, role: str, who: str, as_json: bool) -> None:
    _done(Api().post(_path(ref, "roles"), {"role": role, "user": who}), as_json)


@app.command("lead")
def lead(ref: str = REF, who: str = typer.Argument(..., help="@handle or email."), as_json: bool = JSON) -> None:
    """Assign the incident lead (the reporter is thanked in the room)."""
    _assign(ref, "lead", who, as_json)


@app.command("messenger")
def messenger(ref: str = REF, who: str = typer.Argument(..., help="@handle or email."),
              as_json: bool = JSON) -> None:
    """Assign the messenger: customer support, for customer-impact incidents."""
    _assign(ref, "messenger", who, as_json)


@app.command("role")
def role(ref: str = REF, name: str = typer.Argument(..., help="The role, e.g. scribe."),
         who: str = typer.Argument(..., help="@handle or email."), as_json: bool = JSON) -> None:
    """Assign any other role, e.g. scribe."""
    _assign(ref, name, who, as_json)


@app.command("ack")
def ack(ref: str = REF, role_name: str = typer.Option("lead", "--role", help="The role you acknowledge."),
        as_json: bool = JSON) -> None:
    """Acknowledge your role: “I'm on it”."""
    _done(Api().post(_path(ref, "acknowledge"), {"role": role_name}), as_json)


# Status, summary, updates ----------------------------------------------------------------------------


@app.command("status")
def status(
    ref: str = REF,
    new_status: str = typer.Argument(..., metavar="STATUS",
                                     help="investigating, identified, monitoring, resolved or closed."),
    note: str = typer.Option("", "--note", help="What changed, in a sentence."),
    as_json: bool = JSON,
) -> None:
    """Change the status (announced)."""
    _done(Api().post(_path(ref, "status"), {"status": new_status, "text": note}), as_json)


@app.command("summary")
def summary(ref: str = REF, text: list[str] = typer.Argument(..., metavar="TEXT", help="What is known now."),
            as_json: bool = JSON) -> None:
    """Replace the summary with what is known now."""
    _done(Api().put(_path(ref, "summary"), {"summary": _words(text)}), as_json)


def _update(ref: str, kind: str, text: str, as_json: bool, result: str = "") -> None:
    _done(Api().post(_path(ref, "updates"), {"kind": kind, "text": text, "result": result}), as_json)


@app.command("update")
def update(ref: str = REF, text: list[str] = typer.Argument(..., metavar="TEXT", help="The update."),
           as_json: bool = JSON) -> None:
    """Post a status update."""
    _update(ref, "update", _words(text), as_json)


@app.command("plan")
def plan(ref: str = REF, text: list[str] = typer.Argument(..., metavar="TEXT", help="What you plan to do."),
         as_json: bool = JSON) -> None:
    """Say your next steps: “I plan to …”."""
    _update(ref, "plan", _words(text), as_json)


@app.command("tried")
def tried(
    ref: str = REF,
    what: list[str] = typer.Argument(..., metavar="WHAT", help="What was tried."),
    result: str = typer.Option(..., "--result", help="What it resulted in."),
    as_json: bool = JSON,
) -> None:
    """Record an attempt: “We tried … which resulted in …”."""
    _update(ref, "tried", _words(what), as_json, result=result)


@app.command("severity")
def severity(ref: str = REF, level: str = typer.Argument(..., help="critical or major."),
             as_json: bool = JSON) -> None:
    """Change the severity (recorded and announced)."""
    _done(Api().put(_path(ref, "severity"), {"severity": level}), as_json)


@app.command("say")
def say_(ref: str = REF, text: list[str] = typer.Argument(..., metavar="TEXT", help="The message."),
         as_json: bool = JSON) -> None:
    """Post a message in the incident's room."""
    entry = Api().post(_path(ref, "messages"), {"text": _words(text)})
    if as_json:
        show_json(entry)
    else:
        render.timeline([entry])


@app.command("pin")
def pin(ref: str = REF, entry: int = typer.Argument(..., help="The entry number (#17 in the timeline)."),
        as_json: bool = JSON) -> None:
    """Mark a room entry as a key event for the postmortem."""
    _done(Api().put(_path(ref, "pins", str(entry)), {}), as_json)


@app.command("unpin")
def unpin(ref: str = REF, entry: int = typer.Argument(..., help="The entry number."), as_json: bool = JSON) -> None:
    """Unmark a key event."""
    _done(Api().delete(_path(ref, "pins", str(entry))), as_json)


@app.command("playbook")
def playbook(ref: str = REF, slug: str = typer.Argument(..., help="The playbook, e.g. roll-back-a-bad-deploy."),
             as_json: bool = JSON) -> None:
    """Attach a playbook; its steps join the incident's checklist."""
    _done(Api().post(_path(ref, "playbooks"), {"slug": slug}), as_json)


# Resolve, checklist, close ---------------------------------------------------------------------------


@app.command("resolve")
def resolve(
    ref: str = REF,
    false_positive: bool = typer.Option(False, "--false-positive", help="It was not an incident after all "
                                        "(kept and counted)."),
    note: str = typer.Option("", "--note", help="How it was resolved."),
    as_json: bool = JSON,
) -> None:
    """Resolve the incident; then work through the post-resolution checklist."""
    _done(Api().post(_path(ref, "resolve"), {"false_positive": false_positive, "text": note}), as_json)


@app.command("close")
def close(
    ref: str = REF,
    reason: str | None = typer.Option(None, "--reason", help="Admins: why close with required steps open."),
    false_positive: str | None = typer.Option(
        None, "--false-positive", metavar="WHY",
        help="Close as a false positive, saying why (resolves it first if need be): the postmortem, follow-up "
             "and GitHub steps it does not need are skipped with that reason."),
    as_json: bool = JSON,
) -> None:
    """Close a resolved incident and archive its room (needs the required checklist steps)."""
    body: dict[str, object] = {"reason": reason}
    if false_positive is not None:
        body |= {"false_positive": True, "why": false_positive}
    _done(Api().post(_path(ref, "close"), body), as_json)


def _checklist(ref: str, key: str, state: str, note: str, as_json: bool) -> None:
    _done(Api().put(_path(ref, "checklist", segment(key)), {"state": state, "note": note}), as_json)


@app.command("tick")
def tick(ref: str = REF, key: str = typer.Argument(..., help="The checklist key (see `incident show`)."),
         note: list[str] | None = typer.Argument(None, metavar="NOTE", help="An optional note."),
         as_json: bool = JSON) -> None:
    """Tick a checklist step."""
    _checklist(ref, key, "done", _words(note or []), as_json)


@app.command("skip")
def skip(ref: str = REF, key: str = typer.Argument(..., help="The checklist key."),
         why: list[str] | None = typer.Argument(None, metavar="WHY", help="Why the step does not apply (required)."),
         as_json: bool = JSON) -> None:
    """Skip a checklist step that does not apply, saying why."""
    _checklist(ref, key, "skipped", _words(why or []), as_json)


@app.command("untick")
def untick(ref: str = REF, key: str = typer.Argument(..., help="The checklist key."), as_json: bool = JSON) -> None:
    """Reopen a checklist step."""
    _checklist(ref, key, "open", "", as_json)


@app.command("followup")
def followup(
    ref: str = REF,
    text: list[str] = typer.Argument(..., metavar="TEXT", help="What needs doing after the incident."),
    owner: str = typer.Option("", "--owner", help="Who does it: @handle or email."),
    due: str = typer.Option("", "--due", help="Due date, YYYY-MM-DD."),
    priority: str = typer.Option("medium", "--priority", help="low, medium or high."),
    github: str = typer.Option("", "--github", help="'new' to create a GitHub issue, or owner/name#123 to link one."),
    as_json: bool = JSON,
) -> None:
    """Add a follow-up, optionally attached to a GitHub issue (created or linked by the server's engine)."""
    made = Api().post(_path(ref, "followups"), {"text": _words(text), "owner": owner, "due": due,
                                                "priority": priority, "github": github})
    if as_json:
        show_json(made)
        return
    issue = made["github"]
    attached = f" · GitHub issue {'pending' if issue['state'] == 'pending' else issue['state']}" if (
        issue["state"] != "none") else ""
    owned = f" for @{made['owner']}" if made["owner"] else ""
    typer.echo(f"Follow-up #{made['id']} on {made['incident']}{owned}: {made['text']}{attached}")


@app.command("postmortem")
def postmortem(
    ref: str = REF,
    generate: bool = typer.Option(False, "--generate", help="Draft it from the incident (once, when resolved)."),
    review: bool = typer.Option(False, "--review", help="Send the draft for review."),
    publish: bool = typer.Option(False, "--publish", help="Publish it (sends a draft for review first): writes "
                                 "the Markdown, HTML and PDF to the server's postmortem folder."),
    export: str = typer.Option("", "--export", help="Download it as md, html or pdf (with -o)."),
    output: str = typer.Option("", "--output", "-o", help="Where --export writes; '-' for standard output."),
    as_json: bool = JSON,
) -> None:
    """Show the incident's postmortem; generate, review, publish or export it."""
    api = Api()
    path = _path(ref, "postmortem")
    if export and not output:
        fail("Say where the export goes: --export pdf -o postmortem.pdf (or -o - for standard output).")
    body = api.post(path, {}) if generate else None
    if review or publish:
        current = body or api.get(path)
        if current["state"] == "draft":
            body = api.patch(path, {"state": "in_review"})
        if publish:
            body = api.patch(path, {"state": "published"})
    if export:
        content = api.download(f"{path}.{segment(export.lower())}")
        if output == "-":
            sys.stdout.buffer.write(content)
            return
        Path(output).write_bytes(content)
        typer.echo(f"Wrote {output} ({len(content)} bytes)")
        return
    shown = body or api.get(path)
    if as_json:
        show_json(shown)
        return
    _show_postmortem(shown)


def _show_postmortem(body: dict[str, Any]) -> None:
    state = body["state"].replace("_", " ")
    typer.echo(f"{body['title']} · {state}")
    if body["published_at"]:
        typer.echo(f"Published {body['published_at']} by @{body['published_by']} to {body['published_to']}")
    typer.echo(f"Exports: {body['exports']['md']} · {body['exports']['html']} · {body['exports']['pdf']}")
    typer.echo("")
    typer.echo(body["body"])
    for comment in body["comments"]:
        typer.echo(f"— @{comment['author']} ({comment['created_at']}): {comment['body']}")
@app.command("retrospective")
def retrospective(
    ref: str = REF,
    at: str = typer.Option("", "--at", help="When: 2026-12-01T15:00 (UTC) or with an offset, +01:00."),
    minutes: int | None = typer.Option(None, "--minutes", help="How long (default 60)."),
    attendee: list[str] | None = typer.Option(None, "--attendee", help="Also invite: @handle or email (repeat)."),
    location: str | None = typer.Option(None, "--location", help="A room or a video link."),
    move: bool = typer.Option(False, "--move", help="Reschedule the one already scheduled (re-sends the invite)."),
    cancel: bool = typer.Option(False, "--cancel", help="Cancel it: attendees get a cancellation."),
    as_json: bool = JSON,
) -> None:
    """Schedule the retrospective: calendar invites (.ics) to the participants and anyone named."""
    path = _path(ref, "retrospective")
    if cancel:
        made = Api().delete(path)
    elif move:
        change: dict[str, Any] = {"starts_at": at or None, "minutes": minutes, "location": location}
        if attendee:
            change["attendees"] = attendee
        made = Api().patch(path, {k: v for k, v in change.items() if v is not None})
    else:
        if not at:
            raise typer.BadParameter("say when with --at, e.g. --at 2026-12-01T15:00", param_hint="--at")
        made = Api().post(path, {"starts_at": at, "minutes": 60 if minutes is None else minutes,
                                 "location": location or "", "attendees": attendee or []})
    if as_json:
        show_json(made)
        return
    people = ", ".join(f"@{a['handle']}" if a["handle"] else a["email"] for a in made["attendees"])
    typer.echo(f"Retrospective of {made['incident']} {made['status']}: {made['starts_at']} for {made['minutes']} "
               f"min (invite sequence {made['sequence']})")
    typer.echo(f"Invited: {people}")


@app.command("github-issue")
def github_issue(
    ref: str = REF,
    issue: str = typer.Argument(..., help="owner/name#12, or the issue's URL."),
    close: bool = typer.Option(False, "--close", help="Also close it when the incident resolves."),
    unlink: bool = typer.Option(False, "--unlink", help="Unlink it instead."),
    as_json: bool = JSON,
) -> None:
    """Link a public GitHub issue: on resolve, the server comments the resolution on it (and closes it)."""
    path = _path(ref, "github-issues")
    if unlink:
        Api().delete(f"{path}?issue={quote(issue.strip(), safe='')}")
        typer.echo(f"Unlinked {issue.strip()} from {ref}")
        return
    made = Api().post(path, {"issue": issue, "close_on_resolve": close})
    if as_json:
        show_json(made)
        return
    then = "comment and close it" if made["close_on_resolve"] else "comment on it"
    typer.echo(f"Linked {made['issue']} to {ref} ({made['state']}); on resolve Warroom will {then}")
