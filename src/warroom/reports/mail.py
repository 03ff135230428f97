"""The acknowledgement mail: the reporter is told their report is being handled (the handbook's step 1).

An engine job sends it once: the Message-ID comes from the job's idempotency key, so a re-send after a crash
between "sent" and "recorded" is a duplicate the reporter's mail system can drop. Nothing internal goes in it.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.core.clock import Clock
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder
from warroom.ports import Mail, Mailer
from warroom.reports.models import Report, ReportSource

log = logging.getLogger("warroom.reports")


def acknowledgement_mail(report: Report, *, idempotency_id: str, clock: Clock, reply_to: str = "") -> Mail:
    greeting = f"Hello {report.reporter_name}," if report.reporter_name else "Hello,"
    body = "\n".join([
        greeting, "",
        "Thank you for telling us about this:", "",
        f"    {report.summary}", "",
        "Someone on our team has picked up your report and the problem is being handled.",
        "We will be in touch if we need more from you.", "",
        "-- ",
        "This message was sent automatically when your report was acknowledged.",
    ])
    headers = {}
    if reply_to:
        headers["Reply-To"] = reply_to
    if report.source is ReportSource.email and report.message_id:
        # A reply in the reporter's own thread.
        headers["In-Reply-To"] = report.message_id
        headers["References"] = report.message_id
        subject = report.summary if report.summary.lower().startswith("re:") else f"Re: {report.summary}"
    else:
        subject = f"We are looking into your report: {report.summary}"
    return Mail(to=report.reporter_email, subject=subject[:300], body=body, idempotency_id=idempotency_id,
                at=clock.now(), headers=headers)


def make_acknowledgement_handler(settings: Settings, clock: Clock, mailer: Mailer | None) -> Handler:
    """The engine handler for REPORT_ACK_JOB: send the mail (or log it without a mailer), then record it went."""

    def send_acknowledgement(db: Session, job: Job) -> Recorder | None:
        report_id = int(job.payload["report_id"])
        report = db.get(Report, report_id)
        if report is None or report.acknowledgement_sent_at is not None:
            return None  # gone, or sent already: a re-run does nothing
        mail = acknowledgement_mail(report, idempotency_id=job.idempotency_key, clock=clock,
                                    reply_to=settings.inbound_address)
        db.expunge_all()
        db.rollback()  # no read snapshot held open during the send
        if mailer is None:
            log.info("report acknowledgement %s to %s (mail is not configured; set WARROOM_SMTP_HOST): %s\n%s",
                     job.idempotency_key, mail.to, mail.subject, mail.body)
        else:
            mailer.send(mail)

        def record(write: Session) -> None:
            write.execute(sa.update(Report).where(Report.id == report_id, Report.acknowledgement_sent_at.is_(None))
                          .values(acknowledgement_sent_at=clock.now()))

        return record

    return send_acknowledgement
