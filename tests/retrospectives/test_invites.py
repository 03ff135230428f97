"""Retrospective invites over the API and the engine, to a real SMTP server, parsed back as iCalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

from warroom.checklists.models import ItemState
from warroom.checklists.service import RETROSPECTIVE_SCHEDULED
from warroom.core.clock import FakeClock
from warroom.engine.models import JobState
from warroom.retrospectives.service import INVITE_JOB
from warroom.runtime import Runtime

from ..api.conftest import Team, assert_problem, declare, stored
from ..support import Inbox, checklist_step, jobs
from .conftest import by_recipient, invite_of

START = datetime(2026, 1, 12, 15, 0, tzinfo=UTC)


_jobs = partial(jobs, kind=INVITE_JOB)


_step = partial(checklist_step, key=RETROSPECTIVE_SCHEDULED)  # where the step stands on an incident


def _incident_with_carol(team: Team) -> dict[str, object]:
    incident = declare(team.as_bob)["incident"]
    team.as_bob.ok("post", f"/incidents/{incident['ref']}/roles", {"role": "lead", "user": "@carol"})
    return incident


def test_invite_arrives_as_valid_ics(team: Team, runtime: Runtime, inbox: Inbox) -> None:
    incident = _incident_with_carol(team)
    ref = incident["ref"]
    made = team.as_bob.ok("post", f"/incidents/{ref}/retrospective",
                          {"starts_at": "2026-01-12T15:00", "minutes": 45, "location": "https://meet.example/retro",
                           "attendees": ["partner@vendor.example"]}, status=201)
    assert made["status"] == "scheduled" and made["sequence"] == 0
    assert made["starts_at"].startswith("2026-01-12T15:00") and made["minutes"] == 45
    assert {a["email"] for a in made["attendees"]} == {"bob@example.com", "carol@example.com",
                                                       "partner@vendor.example"}
    assert all(a["invite"] == "pending" for a in made["attendees"])
    assert "Search is down" in made["agenda"] and "key event" in made["agenda"]
    assert _step(runtime, incident["id"]) is ItemState.done
    assert len(_jobs(runtime)) == 3  # one per attendee, queued with the scheduling

    runtime.engine().tick()
    mails = by_recipient(inbox)
    assert set(mails) == {"bob@example.com", "carol@example.com", "partner@vendor.example"}
    carol = mails["carol@example.com"]
    subject = str(carol.message["Subject"]).strip()
    assert subject == f"Invitation: Retrospective: {ref} Search is down @ 2026-01-12 15:00 UTC"
    assert carol.message.get_content_type() == "multipart/mixed"
    calendar, event, method = invite_of(carol)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == made["uid"]
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=45)
    assert "DTSTAMP" in event and int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == f"Retrospective: {ref} Search is down"
    assert f"http://warroom.test/incidents/{ref}" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "https://meet.example/retro"
    assert str(event["ORGANIZER"]) == "mailto:bob@example.com"
    attendees = event["ATTENDEE"]
    assert {str(a) for a in attendees} == {"mailto:bob@example.com", "mailto:carol@example.com",
                                           "mailto:partner@vendor.example"}
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION" and attendee.params["RSVP"] == "TRUE"
    # Every mail has its own Message-ID; every job is done, and the attendees show it.
    assert len(set(inbox.message_ids())) == 3
    assert all(job.state is JobState.done for job in _jobs(runtime))
    after = team.as_bob.ok("get", f"/incidents/{ref}/retrospective")
    assert all(a["invite"] == "sent" for a in after["attendees"])
    # A second tick sends nothing again.
    runtime.engine().tick()
    assert len(inbox.received) == 3


def test_reschedule_bumps_sequence_and_cancel_sends_cancel(team: Team, runtime: Runtime, inbox: Inbox) -> None:
    ref = _incident_with_carol(team)["ref"]
    made = team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-12T15:00"}, status=201)
    runtime.engine().tick()
    assert len(inbox.received) == 2
    moved = team.as_carol.ok("patch", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-13T16:00+01:00"})
    assert moved["sequence"] == 1 and moved["uid"] == made["uid"]
    runtime.engine().tick()
    assert len(inbox.received) == 4
    _, event, method = invite_of(inbox.received[-1])
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 1 and str(event["UID"]) == made["uid"]
    assert event.decoded("DTSTART") == datetime(2026, 1, 13, 15, 0, tzinfo=UTC)
    assert str(inbox.received[-1].message["Subject"]).strip().startswith("Updated invitation:")
    # Nothing changed: nothing sent.
    same = team.as_carol.ok("patch", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-13T15:00Z"})
    assert same["sequence"] == 1

    cancelled = team.as_bob.ok("delete", f"/incidents/{ref}/retrospective")
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 2
    assert _step(runtime, int(made["incident"].removeprefix("INC-"))) is ItemState.open  # none scheduled now
    runtime.engine().tick()
    assert len(inbox.received) == 6
    for mail in inbox.received[-2:]:
        calendar, event, method = invite_of(mail)
        assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
        assert str(event["UID"]) == made["uid"]
        assert str(mail.message["Subject"]).strip().startswith("Cancelled:")
    ics = team.as_bob.get(f"/incidents/{ref}/retrospective.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert "METHOD:CANCEL" in ics.text and f"UID:{made['uid']}" in ics.text
    # Cancelled: it can be scheduled again, same UID, a higher SEQUENCE.
    again = team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-20T10:00"},
                           status=201)
    assert again["status"] == "scheduled" and again["sequence"] == 3 and again["uid"] == made["uid"]


def test_a_dropped_attendee_gets_a_cancel_for_them_alone(team: Team, runtime: Runtime, inbox: Inbox) -> None:
    ref = _incident_with_carol(team)["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/retrospective",
                   {"starts_at": "2026-01-12T15:00", "attendees": ["ext@vendor.example"]}, status=201)
    runtime.engine().tick()
    team.as_bob.ok("patch", f"/incidents/{ref}/retrospective", {"attendees": []})
    runtime.engine().tick()
    latest = inbox.received[3:]
    cancels = [m for m in latest if invite_of(m)[2] == "CANCEL"]
    assert [m.rcpt_tos for m in cancels] == [["ext@vendor.example"]]
    _, event, _ = invite_of(cancels[0])
    assert str(event["ATTENDEE"]) == "mailto:ext@vendor.example"
    requests = [m for m in latest if invite_of(m)[2] == "REQUEST"]
    assert sorted(m.rcpt_tos[0] for m in requests) == ["bob@example.com", "carol@example.com"]


def test_smtp_down_retries_through_the_engine_and_loses_nothing(team: Team, runtime: Runtime,
                                                                clock: FakeClock) -> None:
    from ..notifications.servers import free_port, smtp_server

    ref = _incident_with_carol(team)["ref"]
    runtime.settings.smtp_host = "127.0.0.1"
    runtime.settings.smtp_port = free_port()  # nobody listens there yet
    team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-12T15:00"}, status=201)
    runtime.engine().tick()
    jobs = _jobs(runtime)
    assert [j.state for j in jobs] == [JobState.pending, JobState.pending]
    assert all("unreachable" in j.last_error for j in jobs)
    with smtp_server() as inbox:
        runtime.settings.smtp_port = inbox.port
        clock.set(max(j.due_at for j in jobs))
        runtime.engine().tick()
        assert sorted(m.rcpt_tos[0] for m in inbox.received) == ["bob@example.com", "carol@example.com"]
    assert [j.state for j in _jobs(runtime)] == [JobState.done, JobState.done]


def test_refused_recipient_is_recorded_on_the_attendee(team: Team, runtime: Runtime, inbox: Inbox) -> None:
    ref = _incident_with_carol(team)["ref"]
    inbox.rcpt_replies.append("550 5.1.1 No such mailbox")
    team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-12T15:00"}, status=201)
    runtime.engine().tick()
    states = sorted(j.state.value for j in _jobs(runtime))
    assert states == ["dead", "done"]
    got = team.as_bob.ok("get", f"/incidents/{ref}/retrospective")
    notes = [a["invite"] for a in got["attendees"]]
    assert "sent" in notes and any("No such mailbox" in n for n in notes)


def test_without_smtp_the_invite_goes_to_the_log(team: Team, runtime: Runtime, caplog) -> None:  # type: ignore[no-untyped-def]
    ref = _incident_with_carol(team)["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": "2026-01-12T15:00"}, status=201)
    with caplog.at_level("INFO", logger="warroom.retrospectives"):
        runtime.engine().tick()
    assert "BEGIN:VCALENDAR" in caplog.text and "METHOD:REQUEST" in caplog.text
    got = team.as_bob.ok("get", f"/incidents/{ref}/retrospective")
    assert all("written to the log" in a["invite"] for a in got["attendees"])


def test_bad_input_is_refused_and_writes_nothing(team: Team, runtime: Runtime) -> None:
    ref = _incident_with_carol(team)["ref"]
    path = f"/incidents/{ref}/retrospective"
    before = stored(runtime)
    assert_problem(team.as_bob.post(path, {"starts_at": "next tuesday"}), 422, contains="YYYY-MM-DDTHH:MM")
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-05T08:00"}), 422, contains="in the past")
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-12T15:00", "minutes": 0}), 422,
                   contains="minutes from 5")
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-12T15:00", "attendees": ["@nobody"]}), 422,
                   contains="nobody")
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-12T15:00", "attendees": ["not-an@address"]}),
                   422, contains="not an email address")
    assert_problem(team.as_vic.post(path, {"starts_at": "2026-01-12T15:00"}), 403)
    assert_problem(team.as_bob.get(path), 404, contains="no retrospective")
    assert_problem(team.as_bob.patch(path, {"minutes": 30}), 404, contains="schedule one first")
    assert_problem(team.as_bob.delete(path), 404)
    assert stored(runtime) == before
    team.as_bob.ok("post", path, {"starts_at": "2026-01-12T15:00"}, status=201)
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-13T15:00"}), 409, contains="already scheduled")


def test_private_security_incident_invites_participants_only(team: Team, runtime: Runtime, inbox: Inbox) -> None:
    incident = declare(team.as_bob, security=True)["incident"]
    ref = incident["ref"]
    path = f"/incidents/{ref}/retrospective"
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-12T15:00", "attendees": ["ext@vendor.example"]}),
                   422, contains="participants only")
    assert_problem(team.as_bob.post(path, {"starts_at": "2026-01-12T15:00", "attendees": ["@carol"]}),
                   422, contains="@carol is not one")
    assert_problem(team.as_carol.get(path), 404)  # not a participant: it does not exist for her
    made = team.as_bob.ok("post", path, {"starts_at": "2026-01-12T15:00"}, status=201)
    assert [a["email"] for a in made["attendees"]] == ["bob@example.com"]
    runtime.engine().tick()
    assert [m.rcpt_tos for m in inbox.received] == [["bob@example.com"]]
