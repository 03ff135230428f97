"""A report from outside, end to end: the public form → acknowledged (the reporter's mail arrives) → declared.

The mail goes through the runtime's engine to a real SMTP server (aiosmtpd); the incident and the report link
to each other on both pages.
"""

from __future__ import annotations

import sqlalchemy as sa

from warroom.audit.models import AuditEntry
from warroom.checklists.models import ChecklistItem, ItemState
from warroom.incidents.models import Incident
from warroom.reports.models import ReportStatus
from warroom.timeline.models import TimelineEntry

from .conftest import FORM, all_reports, snapshot


def audit_actions(runtime, target_type="report"):
    with runtime.database.reading() as db:
        return [e.action for e in db.scalars(sa.select(AuditEntry).where(AuditEntry.target_type == target_type)
                                             .order_by(AuditEntry.id))]


def test_public_report_acknowledged_by_mail_then_declared_and_linked_both_ways(
        runtime, public, browser, people, inbox):
    sent = public.send()
    assert sent.status_code == 200, sent.text
    assert "we received your report" in sent.text.lower()
    assert "jane@customer.example" in sent.text
    assert "R-1" not in sent.text and "@bob" not in sent.text  # nothing internal on the reporter's page
    [report] = all_reports(runtime)
    assert (report.status, report.reporter_name, report.affected_service) == (
        ReportStatus.new, "Jane Customer", "export")
    assert report.summary == "CSV exports are stuck at 'preparing' since 09:00."

    bob = browser(people.bob)
    inbox_page = bob.get("/reports")
    assert "R-1" in inbox_page.text and "CSV exports are stuck" in inbox_page.text
    acknowledged = bob.post("/reports/R-1/acknowledge")
    assert acknowledged.status_code == 303 and acknowledged.headers["location"] == "/reports/R-1"

    engine = runtime.engine()
    engine.tick()
    [mail] = inbox.received
    assert mail.rcpt_tos == ["jane@customer.example"]
    assert mail.message["Subject"] == "We are looking into your report: CSV exports are stuck at 'preparing' " \
                                      "since 09:00."
    assert mail.message["Message-ID"] == "<report-ack-1@warroom.test>"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    body = mail.message.get_content()
    assert "Hello Jane Customer" in body and "being handled" in body
    assert "bob" not in body.lower()  # who picked it up is internal
    engine.tick()
    assert len(inbox.received) == 1  # sent once
    assert "mail sent" in bob.get("/reports/R-1").text

    declared = bob.post("/reports/R-1/declare", {"severity": "major", "title": "Exports stuck",
                                                 "customer_impact": "1"})
    assert declared.status_code == 303, declared.text
    assert declared.headers["location"] == "/incidents/INC-1"
    room = bob.get("/incidents/INC-1")
    assert 'href="/reports/R-1"' in room.text
    assert "Declared from report R-1 (form) by Jane Customer" in room.text
    detail = bob.get("/reports/R-1")
    assert 'href="/incidents/INC-1"' in detail.text and "declared" in detail.text

    with runtime.database.reading() as db:
        incident = db.get(Incident, 1)
        assert incident.external_reporter == "Jane Customer <jane@customer.example>"
        assert incident.affected_services == ["export"] and incident.customer_impact
        step = db.scalar(sa.select(ChecklistItem).where(ChecklistItem.incident_id == 1,
                                                        ChecklistItem.key == "acknowledge_reporter"))
        assert step.state is ItemState.done
    [report] = all_reports(runtime)
    assert (report.status, report.incident_id) == (ReportStatus.declared, 1)
    assert report.acknowledgement_sent_at is not None
    assert audit_actions(runtime) == ["report.receive", "report.acknowledge", "report.declare"]
    engine.tick()
    assert len(inbox.received) == 1


def test_declaring_a_new_report_acknowledges_it_first(runtime, public, browser, people, inbox):
    public.send()
    bob = browser(people.bob)
    assert bob.post("/reports/R-1/declare", {"severity": "critical"}).status_code == 303
    runtime.engine().tick()
    assert [m.rcpt_tos for m in inbox.received] == [["jane@customer.example"]]
    assert audit_actions(runtime) == ["report.receive", "report.acknowledge", "report.declare"]
    with runtime.database.reading() as db:
        assert db.get(Incident, 1).title == "CSV exports are stuck at 'preparing' since 09:00."


def test_dismissing_needs_a_reason_keeps_it_and_counts_it(runtime, public, browser, people):
    public.send()
    public.send(dict(FORM, description="Second report"))
    bob = browser(people.bob)
    before = snapshot(runtime)
    refused = bob.post("/reports/R-2/dismiss", {"reason": "   "})
    assert refused.status_code == 422
    assert "Say why this report is not an incident" in refused.text
    assert snapshot(runtime) == before
    assert bob.post("/reports/R-2/dismiss", {"reason": "Their VPN was down"}).status_code == 303
    page = bob.get("/reports?status=dismissed")
    assert "<strong>1</strong> dismissed as false positives" in page.text
    assert "Their VPN was down" in bob.get("/reports/R-2").text
    assert audit_actions(runtime)[-1] == "report.dismiss"
    again = bob.post("/reports/R-2/declare", {"severity": "major"})
    assert again.status_code == 409 and "dismissed" in again.text
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_triage_conflicts_and_viewers_are_refused_with_nothing_written(runtime, public, browser, people):
    public.send()
    vic = browser(people.vic)
    before = snapshot(runtime)
    for action, form in (("acknowledge", {}), ("declare", {"severity": "major"}), ("dismiss", {"reason": "no"})):
        refused = vic.post(f"/reports/R-1/{action}", form)
        assert refused.status_code == 403, refused.text
        assert "viewer access" in refused.text
    assert snapshot(runtime) == before
    assert "Viewers can read reports but not act on them" in vic.get("/reports/R-1").text

    bob = browser(people.bob)
    assert bob.post("/reports/R-1/acknowledge").status_code == 303
    before = snapshot(runtime)
    twice = bob.post("/reports/R-1/acknowledge")
    assert twice.status_code == 409 and "already acknowledged" in twice.text
    bad = bob.post("/reports/R-1/declare", {"severity": "minor"})
    assert bad.status_code == 422 and "normal support" in bad.text
    forged = bob.post("/reports/R-1/dismiss", {"reason": "x"}, csrf=False)
    assert forged.status_code == 403
    assert bob.get("/reports/R-99").status_code == 404
    assert bob.post("/reports/R-99/acknowledge").status_code == 404
    assert snapshot(runtime) == before


def test_inbox_and_detail_escape_what_reporters_wrote(runtime, public, browser, people):
    sent = public.send(dict(FORM, name="Jane & co", description="Page shows <b>bold</b> & \"quotes\""))
    assert sent.status_code == 200, sent.text
    bob = browser(people.bob)
    for path in ("/reports", "/reports/R-1"):
        html = bob.get(path).text
        assert "<b>bold</b>" not in html
        assert "&lt;b&gt;bold&lt;/b&gt;" in html and "Jane &amp; co" in html


def test_room_entries_of_a_declared_report_are_in_the_timeline(runtime, public, browser, people):
    public.send()
    browser(people.bob).post("/reports/R-1/declare", {"severity": "major"})
    with runtime.database.reading() as db:
        bodies = [e.body for e in db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == 1))]
    assert any(b.startswith("Reported from outside by Jane Customer") for b in bodies)
    assert any("Declared from report R-1" in b for b in bodies)
