"""`warroom dashboard` and `warroom announcements`: the headline figures and the announcements feed."""

from __future__ import annotations

import typer

from warroom.cli.output import say, show_json, show_table, table
from warroom.cli.remote import Api
from warroom.cli.render import when
from warroom.dashboard.service import format_duration

JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


def dashboard(as_json: bool = JSON) -> None:
    """Open incidents now, and MTTA / MTTR by severity over the last 30 and 90 days."""
    headline = Api().get("/dashboard/figures")
    if as_json:
        show_json(headline)
        return
    by_severity = ", ".join(f"{n} {s}" for s, n in headline["open_by_severity"].items() if n)
    say(f"Open now: {headline['open_now']}" + (f" ({by_severity})" if by_severity else ""), "bold")
    grid = table("window", "severity", "declared", "false positives", "MTTA (to lead's ack)", "MTTR (to resolved)")
    for f in headline["figures"]:
        grid.add_row(f"{f['window_days']} days", f["severity"], str(f["declared"]), str(f["false_positives"]),
                     format_duration(f["mtta_seconds"]), format_duration(f["mttr_seconds"]))
    show_table(grid)


def announcements(
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=200, help="How many, newest first."),
    as_json: bool = JSON,
) -> None:
    """The announcements feed: every declaration and status change (the handbook's #announce-incidents)."""
    page = Api().get("/announcements", limit=limit)
    if as_json:
        show_json(page["items"])
        return
    if not page["items"]:
        say("No announcements yet.")
    for item in page["items"]:
        say(f"{when(item['created_at'])}  {item['text']}")
