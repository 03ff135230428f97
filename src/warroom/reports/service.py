"""Reports from outside: check what a reporter sent, keep it, and move it through the triage inbox.

Public input is checked whole before anything is written: a report is stored complete or not at all.
Takes a session; commits nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.engine import queue
from warroom.incidents.models import Incident
from warroom.reports.models import Report, ReportSource, ReportStatus

REPORT_ACK_JOB = "report_acknowledgement"
MAX_NAME = 200
MAX_EMAIL = 254
MAX_SUMMARY = 200
MAX_DESCRIPTION = 10_000
MAX_SERVICE = 100
MAX_REASON = 2_000
MAX_ID = 2**31 - 1
SUMMARY_FROM_DESCRIPTION = 120

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADDRESS_SPECIALS = set(',;:<>()[]"\\')
SERVICE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]*$")
REF_RE = re.compile(r"^(?:r-?)?(\d{1,12})$", re.IGNORECASE)
# Control characters other than tab and newline have no place in a report (and break mail headers).
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Markup that runs script when rendered unescaped somewhere: tags that load or execute, event-handler
# attributes, script URLs, and their entity- or percent-encoded openings.
SCRIPT_RE = re.compile(
    r"<\s*/?\s*(?:script|iframe|frame|frameset|object|embed|applet|svg|math|img|image|style|link|meta|base|"
    r"form|input|button|textarea|select|video|audio|source|template|body|html|xml|isindex)\b"
    r"|<[^>]*\son[a-z]+\s*="
    r"|\b(?:java|vb)script\s*:"
    r"|\bdata\s*:\s*text/html"
    r"|&#0*60;?\s*script|&lt;\s*script|%3c\s*/?\s*script",
    re.IGNORECASE,
)
LABELS = {"name": "name", "email": "email address", "description": "description", "affected_service": "service",
          "summary": "subject"}


@dataclass(frozen=True)
class Submission:
    """A report as checked: every field clean and within its limit."""

    source: ReportSource
    name: str
    email: str
    summary: str
    description: str
    affected_service: str = ""
    message_id: str | None = None


def reporter_actor(source: ReportSource, actor: Actor) -> Actor:
    """Who the audit log says acted for a report that came from outside (no Warroom account)."""
    return Actor(None, "reporter", AccessRole.viewer, f"public-{source.value}", actor.clock)


# Checking what a reporter sent ------------------------------------------------------------------------


def _no_script(text: str, field: str) -> None:
    found = SCRIPT_RE.search(text)
    if found is not None:
        raise ValidationFailed(
            f"The {LABELS[field]} contains markup or script ({found.group(0).strip()[:30]!r}); describe the "
            "problem in plain words, without HTML.", field=field)


def _plain(value: str, field: str, limit: int, *, required: bool, one_line: bool) -> str:
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = " ".join(text.split()) if one_line else text.strip()
    if CONTROL_RE.search(text):
        raise ValidationFailed(f"The {LABELS[field]} contains control characters; type it as plain text.",
                               field=field)
    if required and not text:
        raise ValidationFailed(f"Give your {LABELS[field]}.", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"The {LABELS[field]} is {len(text)} characters; at most {limit} are accepted.",
                               field=field)
    _no_script(text, field)
    return text


def clean_name(value: str) -> str:
    name = _plain(value, "name", MAX_NAME, required=True, one_line=True)
    if "<" in name or ">" in name:
        raise ValidationFailed("A name cannot contain '<' or '>'.", field="name")
    return name


def clean_email(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed("Give your email address, so we can tell you the report is being handled.",
                               field="email")
    if (len(text) > MAX_EMAIL or not EMAIL_RE.match(text) or any(c in ADDRESS_SPECIALS for c in text)
            or CONTROL_RE.search(text)):
        raise ValidationFailed(f"'{text[:100]}' is not an email address (like jane@example.com).", field="email")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def clean_service(value: str) -> str:
    service = _plain(value, "affected_service", MAX_SERVICE, required=False, one_line=True)
    if service and not SERVICE_RE.match(service):
        raise ValidationFailed("A service name is letters, digits, spaces and . _ / - (like 'search' or "
                               "'sign-in').", field="affected_service")
    return service


def summary_of(description: str) -> str:
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if len(first) > SUMMARY_FROM_DESCRIPTION:
        first = first[: SUMMARY_FROM_DESCRIPTION - 1].rstrip() + "…"
    return first or "(no description)"


def form_submission(*, name: str, email: str, description: str, affected_service: str = "") -> Submission:
    """A report from the public form: name, email, what is happening, and optionally which service."""
    clean = Submission(
        source=ReportSource.form,
        name=clean_name(name),
        email=clean_email(email),
        summary="",
        description=_plain(description, "description", MAX_DESCRIPTION, required=True, one_line=False),
        affected_service=clean_service(affected_service),
    )
    return Submission(clean.source, clean.name, clean.email, summary_of(clean.description), clean.description,
                      clean.affected_service)


# Storing and reading ----------------------------------------------------------------------------------


def receive_report(*, db: Session, actor: Actor, submission: Submission, client: str = "") -> tuple[Report, bool]:
    """Keep a report in the inbox as new. A mail seen before (same Message-ID) returns the first report."""
    if submission.message_id:
        existing = db.scalar(sa.select(Report).where(Report.message_id == submission.message_id))
        if existing is not None:
            return existing, False
    now = actor.clock.now()
    report = Report(status=ReportStatus.new, source=submission.source, reporter_name=submission.name,
                    reporter_email=submission.email, summary=submission.summary[:MAX_SUMMARY],
                    description=submission.description, affected_service=submission.affected_service,
                    message_id=submission.message_id, received_at=now, updated_at=now, dismiss_reason="")
    db.add(report)
    db.flush()
    detail: dict[str, Any] = {"source": submission.source.value}
    if client:
        detail["client"] = client
    audit.record(db=db, actor=reporter_actor(submission.source, actor), action="report.receive",
                 target_type="report", target_id=report.ref, **detail)
    return report, True


def parse_report_ref(ref: str | int) -> int:
    if isinstance(ref, int):
        number = ref
    else:
        match = REF_RE.match(ref.strip())
        if match is None:
            raise NotFound(f"'{ref}' is not a report reference; use R-12 or 12.", field="report")
        number = int(match.group(1))
    if not 0 < number <= MAX_ID:
        raise NotFound(f"No report R-{number}.", field="report")
    return number


def get_report(*, db: Session, ref: str | int) -> Report:
    report = db.get(Report, parse_report_ref(ref))
    if report is None:
        raise NotFound(f"No report {ref}.", field="report")
    return report


def lock_report(*, db: Session, ref: str | int) -> Report:
    report_id = parse_report_ref(ref)
    report = db.scalar(sa.select(Report).where(Report.id == report_id).with_for_update()
                       .execution_options(populate_existing=True))
    if report is None:
        raise NotFound(f"No report R-{report_id}.", field="report")
    return report


def parse_status(value: str) -> ReportStatus:
    try:
        return ReportStatus(value.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in ReportStatus)
        raise ValidationFailed(f"Unknown report status '{value}'. Use one of: {names}.", field="status") from None


OPEN = (ReportStatus.new, ReportStatus.acknowledged)


def list_reports(
    *, db: Session, statuses: Sequence[ReportStatus] = (), limit: int = 50, offset: int = 0
) -> tuple[list[Report], int]:
    """Newest first, optionally only in these states, with the total for paging."""
    query = sa.select(Report)
    counting = sa.select(sa.func.count()).select_from(Report)
    if statuses:
        query = query.where(Report.status.in_(statuses))
        counting = counting.where(Report.status.in_(statuses))
    rows = list(db.scalars(query.order_by(Report.id.desc()).limit(limit).offset(offset)))
    return rows, int(db.scalar(counting) or 0)


def counts(*, db: Session) -> dict[ReportStatus, int]:
    """How many reports are in each state; dismissed ones are the false positives, counted."""
    found = dict.fromkeys(ReportStatus, 0)
    for status, number in db.execute(sa.select(Report.status, sa.func.count()).group_by(Report.status)):
        found[status] = int(number)
    return found


@dataclass(frozen=True)
class ReportView:
    """A report with the names a reader needs: who acknowledged and decided, and the incident it became."""

    report: Report
    acknowledged_by: str | None
    decided_by: str | None
    incident_ref: str | None
    incident_title: str | None


def report_view(*, db: Session, ref: str | int) -> ReportView:
    report = get_report(db=db, ref=ref)
    ids = [i for i in (report.acknowledged_by_id, report.decided_by_id) if i is not None]
    handles: dict[int, str] = {}
    if ids:
        handles = {row.id: row.handle for row in db.execute(sa.select(User.id, User.handle).where(User.id.in_(ids)))}
    incident = db.get(Incident, report.incident_id) if report.incident_id else None
    return ReportView(
        report,
        handles.get(report.acknowledged_by_id) if report.acknowledged_by_id else None,
        handles.get(report.decided_by_id) if report.decided_by_id else None,
        incident.ref if incident else None,
        incident.title if incident else None,
    )


def report_id_of(incident_id: Any) -> sa.ScalarSelect[int]:
    """The report an incident was declared from, as a subquery (so the room needs no extra query)."""
    return (sa.select(Report.id).where(Report.incident_id == incident_id).order_by(Report.id)
            .limit(1).scalar_subquery())


# Triage ------------------------------------------------------------------------------------------------


def _settled(report: Report, doing: str) -> Conflict:
    if report.status is ReportStatus.declared:
        incident = f"INC-{report.incident_id}" if report.incident_id else "an incident"
        return Conflict(f"{report.ref} was already declared as {incident}; {doing} is not needed.")
    return Conflict(f"{report.ref} was dismissed ({report.dismiss_reason}); it stays counted as a false positive.")


def acknowledge_report(*, db: Session, actor: Actor, ref: str | int) -> Report:
    """The handbook's step 1: tell the reporter it is being handled (an email job, sent once)."""
    actor.require(AccessRole.responder)
    report = lock_report(db=db, ref=ref)
    if report.status is ReportStatus.acknowledged:
        raise Conflict(f"{report.ref} is already acknowledged; the reporter has been told.")
    if not report.status.is_open:
        raise _settled(report, "acknowledging")
    _acknowledge(db, actor, report)
    return report


def _acknowledge(db: Session, actor: Actor, report: Report) -> None:
    now = actor.clock.now()
    report.status = ReportStatus.acknowledged
    report.acknowledged_at = now
    report.acknowledged_by_id = actor.user_id
    report.updated_at = now
    queue.enqueue(db=db, kind=REPORT_ACK_JOB, payload={"report_id": report.id},
                  idempotency_key=f"report-ack-{report.id}", due_at=now)
    audit.record(db=db, actor=actor, action="report.acknowledge", target_type="report", target_id=report.ref,
                 reporter=report.reporter_email)


def open_for_decision(*, db: Session, actor: Actor, ref: str | int, doing: str) -> Report:
    """Lock an open report for declaring or dismissing; a new one is acknowledged first (step 1 comes first)."""
    actor.require(AccessRole.responder)
    report = lock_report(db=db, ref=ref)
    if not report.status.is_open:
        raise _settled(report, doing)
    if report.status is ReportStatus.new and doing == "declaring":
        _acknowledge(db, actor, report)
    return report


def mark_declared(*, db: Session, actor: Actor, report: Report, incident: Incident) -> None:
    now = actor.clock.now()
    report.status = ReportStatus.declared
    report.incident_id = incident.id
    report.decided_at = now
    report.decided_by_id = actor.user_id
    report.updated_at = now
    audit.record(db=db, actor=actor, action="report.declare", target_type="report", target_id=report.ref,
                 incident=incident.ref)


def dismiss_report(*, db: Session, actor: Actor, ref: str | int, reason: str) -> Report:
    """Not an incident: keep the report and the reason, and count it (the handbook values false positives)."""
    actor.require(AccessRole.responder)
    why = " ".join(reason.split())
    if not why:
        raise ValidationFailed("Say why this report is not an incident; the reason is kept with the report.",
                               field="reason")
    if len(why) > MAX_REASON:
        raise ValidationFailed(f"The reason is longer than {MAX_REASON} characters.", field="reason")
    report = open_for_decision(db=db, actor=actor, ref=ref, doing="dismissing")
    now = actor.clock.now()
    report.status = ReportStatus.dismissed
    report.dismiss_reason = why
    report.decided_at = now
    report.decided_by_id = actor.user_id
    report.updated_at = now
    audit.record(db=db, actor=actor, action="report.dismiss", target_type="report", target_id=report.ref,
                 reason=why)
    return report


def services_of(report: Report) -> Sequence[str]:
    """The report's service in the incident's form ("Sign in" → "sign-in")."""
    return ["-".join(report.affected_service.lower().split())] if report.affected_service else []
