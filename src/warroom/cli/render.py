"""Incidents, outcomes and room entries as the API sends them, shown for a person at a terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from warroom.cli.output import say, show_table, table, warn

SEVERITY_STYLE = {"critical": "bold red", "major": "bold yellow"}
STATUS_STYLE = {"investigating": "red", "identified": "yellow", "monitoring": "cyan", "resolved": "green",
                "closed": "dim"}
ENTRY_STYLE = {"message": "", "update": "cyan", "status_changed": "bold", "severity_changed": "bold yellow",
               "role_warning": "yellow", "resolved": "green", "closed": "dim", "archived": "dim",
               "system": "dim"}
STATE_MARK = {"done": "[x]", "skipped": "[-]", "open": "[ ]"}


def when(value: str | None) -> str:
    """An API timestamp as 'YYYY-MM-DD HH:MM' (UTC), or '-'."""
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def flags(incident: dict[str, Any]) -> str:
    marks = [
        ("customer impact", incident.get("customer_impact")),
        ("security", incident.get("security")),
        ("suspected", incident.get("suspected")),
        ("false positive", incident.get("is_false_positive")),
        ("archived", incident.get("archived_at")),
    ]
    return ", ".join(name for name, on in marks if on)


def outcome(body: dict[str, Any]) -> None:
    """What a flow did: its message in green, then any warnings in yellow."""
    say(str(body.get("message", "")), "green")
    for text in body.get("warnings") or []:
        warn(str(text))


def declared(body: dict[str, Any]) -> None:
    outcome(body)
    incident = body.get("incident") or {}
    guidance(body.get("data") or {}, str(incident.get("ref")))
    if incident.get("url"):
        say(f"Room: {incident['url']}")


def guidance(data: dict[str, Any], ref: str) -> None:
    """What a declare answers beside its message: the next steps, and the playbooks that fit."""
    for step in data.get("next_steps") or []:
        say(f"- {step}")
    if data.get("suggested_playbooks"):
        say("Suggested playbooks: " + ", ".join(data["suggested_playbooks"])
            + f" (attach one: warroom command \"/incident playbook <slug>\" --incident {ref})")


def incident_list(page: dict[str, Any]) -> None:
    items = page.get("items") or []
    if not items:
        say("No incidents match.")
        return
    grid = table("ref", "severity", "status", "title", "lead", "declared", "notes")
    for i in items:
        grid.add_row(i["ref"], i["severity"], i["status"], i["title"], f"@{i['lead']}" if i.get("lead") else "-",
                     when(i.get("declared_at")), flags(i))
    show_table(grid)
    offset, total = int(page.get("offset", 0)), int(page.get("total", len(items)))
    say(f"{offset + 1} to {offset + len(items)} of {total}", "dim")


def incident_detail(incident: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    say(f"{incident['ref']}  {incident['title']}", "bold")
    head = f"{incident['severity']} · {incident['status']}"
    if flags(incident):
        head += f" · {flags(incident)}"
    say(head, SEVERITY_STYLE.get(incident["severity"]))
    say(f"Declared {when(incident.get('declared_at'))}"
        + (f" · acknowledged {when(incident['acknowledged_at'])}" if incident.get("acknowledged_at") else "")
        + (f" · resolved {when(incident['resolved_at'])}" if incident.get("resolved_at") else "")
        + (f" · closed {when(incident['closed_at'])}" if incident.get("closed_at") else ""))
    for label, key in (("Summary", "summary"), ("Description", "description"),
                       ("Reported by", "external_reporter")):
        if incident.get(key):
            say(f"{label}: {incident[key]}")
    if incident.get("affected_services"):
        say("Services: " + ", ".join(incident["affected_services"]))
    if incident.get("playbooks"):
        say("Playbooks: " + ", ".join(incident["playbooks"]))
    _roles(incident.get("roles") or [])
    _checklist(incident.get("checklist") or [])
    if entries:
        say(f"Latest in the room ({len(entries)}):", "bold")
        timeline(entries)
    say(f"Room: {incident.get('url', '')}", "dim")


def _roles(roles: list[dict[str, Any]]) -> None:
    if not roles:
        say("No roles yet: assign a lead with `warroom incident lead <ref> @engineer`.", "yellow")
        return
    grid = table("role", "who", "assigned", "acknowledged", title="Roles")
    for r in roles:
        grid.add_row(r["role"], f"@{r['user']}", when(r.get("assigned_at")), when(r.get("acknowledged_at")))
    show_table(grid)


PHASE_TITLE = {"first_response": "First response", "post_resolution": "After resolution", "playbook": "Playbooks"}


def _checklist(items: list[dict[str, Any]]) -> None:
    """Lines rather than a table: step labels are sentences and must stay readable at 80 columns."""
    if not items:
        return
    say("Checklist ([x] done, [-] skipped, * required):", "bold")
    phase = None
    for item in items:
        if item.get("phase") != phase:
            phase = item.get("phase")
            say(f"  {PHASE_TITLE.get(str(phase), str(phase))}")
        by = f" — @{item['done_by']}" if item.get("done_by") else ""
        note = f" ({item['note']})" if item.get("note") else ""
        key = item["key"] + ("*" if item.get("required") else "")
        say(f"    {STATE_MARK.get(item['state'], '[?]')} {key}: {item['label']}{note}{by}",
            "dim" if item["state"] != "open" else None)


def timeline(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        who = f"@{entry['actor']}" if entry.get("actor") else "warroom"
        pin = " [pinned]" if entry.get("pinned") else ""
        say(f"#{entry['id']:<5} {when(entry.get('created_at'))}  {who}: {entry['body']}{pin}",
            ENTRY_STYLE.get(entry.get("kind", ""), ""))
