"""`warroom insights`: the insights figures per week, or one chart's figures as CSV."""

from __future__ import annotations

import csv
import sys
from typing import Any

import typer

from warroom.cli.output import say, show_json, show_table, table
from warroom.cli.remote import Api, segment
from warroom.insights.svg import number


def _csv(chart: dict[str, Any]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([chart["x_label"], *(s["name"] for s in chart["series"])])
    for index, category in enumerate(chart["categories"]):
        writer.writerow([category, *("" if s["values"][index] is None else number(s["values"][index])
                                     for s in chart["series"])])


def _values(chart: dict[str, Any], name: str) -> list[Any]:
    return next(s["values"] for s in chart["series"] if s["name"] == name)


def insights(
    weeks: int = typer.Option(12, "--weeks", "-w", help="How many weeks back, this one included (1 to 104)."),
    team: str = typer.Option("", "--team", help="Only incidents reported by, or with a role held by, its members."),
    severity: str = typer.Option("", "--severity", help="critical or major."),
    chart: str = typer.Option("", "--csv", help="Print this chart's figures as CSV (incidents, mtta, mttr, "
                                                "false_positives, status_time, followups, services)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    """Incidents per week, MTTA / MTTR, false positives, time in each status, follow-ups, affected services."""
    params = {"weeks": weeks, "team": team or None, "severity": severity or None}
    if chart:
        _csv(Api().get(f"/insights/{segment(chart)}", **params)["chart"])
        return
    found = Api().get("/insights", **params)
    if as_json:
        show_json(found)
        return
    s, charts = found["summary"], found["charts"]
    say(f"{s['incidents']} incidents since {found['window']['start'][:10]} ({found['window']['weeks']} weeks); "
        f"MTTA mean {number(s['mtta_hours_mean'])} h, MTTR mean {number(s['mttr_hours_mean'])} h; "
        f"follow-ups overdue now: {s['followups_overdue_now']}", "bold")
    grid = table("week", "critical", "major", "MTTA h (mean/median)", "MTTR h (mean/median)", "false pos. %",
                 "follow-ups made/done")
    weekly = charts["incidents"]["categories"]
    columns = [_values(charts["incidents"], "critical"), _values(charts["incidents"], "major"),
               _values(charts["mtta"], "mean"), _values(charts["mtta"], "median"),
               _values(charts["mttr"], "mean"), _values(charts["mttr"], "median"),
               _values(charts["false_positives"], "false-positive %"),
               _values(charts["followups"], "created"), _values(charts["followups"], "done")]
    for i, week in enumerate(weekly):
        c, m, ack, ack_median, res, res_median, fp, made, done = (col[i] for col in columns)
        grid.add_row(week, number(c), number(m), f"{number(ack)} / {number(ack_median)}",
                     f"{number(res)} / {number(res_median)}", number(fp), f"{number(made)} / {number(done)}")
    show_table(grid)
    status = charts["status_time"]
    say("Average hours in each status: " + ", ".join(
        f"{name} {number(value)}" for name, value in zip(status["categories"], status["series"][0]["values"],
                                                        strict=True)))
    services = charts["services"]
    say("Most-affected services: " + (", ".join(
        f"{name} ({number(value)})" for name, value in zip(services["categories"], services["series"][0]["values"],
                                                          strict=True)) or "none"))
