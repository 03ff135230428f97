"""Declaring an incident from a report: the report, the incident and both links in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from warroom.checklists import service as checklists
from warroom.core.actor import Actor
from warroom.incidents import flows
from warroom.reports import service as reports
from warroom.reports.models import Report
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind


@dataclass(frozen=True)
class Declared:
    report: Report
    outcome: flows.Outcome


def reporter_line(report: Report) -> str:
    return f"{report.reporter_name} <{report.reporter_email}>" if report.reporter_name else report.reporter_email


def declare_from_report(
    *,
    db: Session,
    actor: Actor,
    ref: str | int,
    severity: str,
    title: str = "",
    customer_impact: bool = False,
    security: bool = False,
    suspected: bool = False,
) -> Declared:
    """Start an incident from a report. A report not yet acknowledged is acknowledged first (step 1)."""
    report = reports.open_for_decision(db=db, actor=actor, ref=ref, doing="declaring")
    outcome = flows.declare_incident(
        db=db, actor=actor, title=title.strip() or report.summary, severity=severity,
        description=report.description, customer_impact=customer_impact, security=security, suspected=suspected,
        affected_services=reports.services_of(report), external_reporter=reporter_line(report),
    )
    incident = outcome.incident
    reports.mark_declared(db=db, actor=actor, report=report, incident=incident)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Declared from report {report.ref} ({report.source.value}) by {reporter_line(report)}; "
                            "the reporter has been told it is being handled.",
                       report_id=report.id, report=report.ref)
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.ACKNOWLEDGE_REPORTER)
    outcome.data["report"] = report.ref
    return Declared(report, outcome)
