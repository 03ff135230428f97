"""An incident run from Slack: /incident → modal → channel, topic, pinned summary, announcement, kept up to date."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.core.clock import FakeClock
from warroom.incidents.models import Incident, Status
from warroom.runtime import Runtime
from warroom.timeline.models import EntryKind, TimelineEntry

from .conftest import ANNOUNCE_ID, GENERAL_ID, FakeSlack, People, SlackRequests, drain


def _incident(runtime: Runtime) -> Incident:
    with runtime.database.reading() as db:
        incident = db.scalar(sa.select(Incident).order_by(Incident.id.desc()))
        assert incident is not None
        db.expunge(incident)
        return incident


def _declare(slack: FakeSlack, requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> str:
    opened = requests.command("UALICE", "")
    assert opened.status_code == 200 and opened.content == b""
    [view] = slack.views
    assert view["callback_id"] == "warroom_declare" and view["trigger_id"].startswith("13345224609.")
    severities = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert severities == ["critical", "major", "minor"]
    assert "full outage" in view["blocks"][1]["element"]["options"][0]["description"]["text"]
    submitted = requests.submit_declare("UALICE", view, "Search is down\nEvery query times out since 09:00.",
                                        "critical", ("customer_impact",))
    assert submitted.json()["response_action"] == "update"
    assert submitted.json()["view"]["blocks"][0]["text"]["text"].startswith("Declared INC-")
    drain(runtime, clock)
    return _incident(runtime).ref


def test_declare_from_the_modal_opens_a_channel_with_a_pinned_summary_and_an_announcement(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    ref = _declare(slack, slack_requests, runtime, clock)
    incident = _incident(runtime)
    assert incident.title == "Search is down" and incident.severity.value == "critical"
    assert incident.customer_impact and incident.reporter_id == people.alice.id
    assert "Every query times out" in incident.description

    room = slack.channel_named(f"inc-{incident.id}-search-is-down")
    assert not room.is_private and room.members == {"UALICE"}
    assert room.topic == "Critical · investigating · no lead yet"
    [summary] = slack.in_channel(room.id)
    assert room.pins == [summary.ts]
    assert f"*{ref}: Search is down*" in summary.text and f"http://warroom.test/incidents/{ref}" in summary.text
    [announcement] = slack.in_channel(ANNOUNCE_ID)
    assert announcement.text.startswith(f"{ref} [critical] Search is down (customer impact) — investigating")
    assert f"<#{room.id}>" in announcement.text
    assert [slack.count(m) for m in ("conversations.create", "conversations.invite", "pins.add",
                                     "chat.postMessage")] == [1, 1, 1, 2]


def test_changes_edit_both_messages_in_place_and_close_archives(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    ref = _declare(slack, slack_requests, runtime, clock)
    room = slack.channel_named(f"inc-{_incident(runtime).id}-search-is-down")

    lead = slack_requests.command("UALICE", "lead @bob", channel=room.id)
    assert lead.json() == {"response_type": "in_channel", "text": f"@bob is the incident lead of {ref}"}
    status = slack_requests.command("UBOB", "status identified the index shard is corrupt", channel=room.id)
    assert status.json()["text"] == f"{ref} is now identified"
    drain(runtime, clock)

    assert room.members == {"UALICE", "UBOB"}  # the lead was found by email and invited
    assert room.topic == "Critical · identified · lead @bob"
    [summary] = slack.in_channel(room.id)
    [announcement] = slack.in_channel(ANNOUNCE_ID)
    assert "Status: identified · Lead: @bob" in summary.text and summary.edits >= 1
    assert "— identified · lead @bob" in announcement.text and announcement.edits >= 1
    assert slack.count("chat.postMessage") == 2  # edited in place, never posted again

    slack_requests.command("UBOB", "severity major", channel=room.id)
    slack_requests.command("UBOB", "resolve the shard was rebuilt", channel=room.id)
    closed = slack_requests.command("UALICE", "close --reason drill, postmortem waived", channel=room.id)
    assert closed.json()["text"] == f"{ref} closed and its room archived", closed.json()
    drain(runtime, clock)

    assert room.archived
    final = slack.in_channel(room.id)[-1]
    assert final.text.startswith(f"*{ref} is closed* (resolved)")
    assert "[major] Search is down" in announcement.text and "— closed" in announcement.text
    assert f"<#{room.id}>" not in announcement.text
    assert [slack.count(m) for m in ("conversations.create", "conversations.archive", "pins.add",
                                     "chat.postMessage")] == [1, 1, 1, 3]


def test_channel_messages_edits_and_deletions_join_the_timeline_and_a_pushpin_marks_a_key_event(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    _declare(slack, slack_requests, runtime, clock)
    incident = _incident(runtime)
    room = slack.channel_named(f"inc-{incident.id}-search-is-down")
    message = {"type": "message", "channel": room.id, "user": "UBOB", "text": "Shard 7 is read-only",
               "ts": "1767600100.000200", "event_ts": "1767600100.000200", "channel_type": "channel"}
    assert slack_requests.event(message, "Ev001").status_code == 200
    assert slack_requests.event(message, "Ev001").status_code == 200  # Slack's retry: ignored
    elsewhere = {**message, "channel": GENERAL_ID, "ts": "1767600101.000100", "text": "lunch?"}
    slack_requests.event(elsewhere, "Ev002")
    bot = {**message, "ts": "1767600102.000100", "bot_id": "B01", "text": "from the bot"}
    slack_requests.event(bot, "Ev003")
    pin = {"type": "reaction_added", "user": "UALICE", "reaction": "pushpin",
           "item": {"type": "message", "channel": room.id, "ts": message["ts"]}, "event_ts": "1767600110.000300"}
    slack_requests.event(pin, "Ev004")

    with runtime.database.reading() as db:
        entries = list(db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                                 TimelineEntry.kind == EntryKind.message)))
        assert [(e.body, e.actor_id, e.pinned) for e in entries] == [("Shard 7 is read-only", people.bob.id, True)]
        pinned = db.scalar(sa.select(TimelineEntry).where(TimelineEntry.kind == EntryKind.pinned))
        assert pinned is not None and pinned.actor_id == people.alice.id
    first = entries[0].id

    edited = {"type": "message", "subtype": "message_changed", "hidden": True, "channel": room.id,
              "ts": "1767600120.000100", "event_ts": "1767600120.000100",
              "message": {"type": "message", "user": "UBOB", "text": "Shard 7 and 8 are read-only",
                          "ts": message["ts"], "edited": {"user": "UBOB", "ts": "1767600120.000000"}},
              "previous_message": {"type": "message", "user": "UBOB", "text": message["text"], "ts": message["ts"]}}
    slack_requests.event(edited, "Ev005")
    deleted = {"type": "message", "subtype": "message_deleted", "hidden": True, "channel": room.id,
               "ts": "1767600130.000100", "deleted_ts": message["ts"], "event_ts": "1767600130.000100",
               "previous_message": {"type": "message", "user": "UBOB", "text": "Shard 7 and 8 are read-only",
                                    "ts": message["ts"]}}
    slack_requests.event(deleted, "Ev006")
    with runtime.database.reading() as db:
        rows = list(db.execute(sa.select(TimelineEntry.id, TimelineEntry.body).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.kind == EntryKind.message)
            .order_by(TimelineEntry.id)))
    assert [body for _, body in rows] == [
        "Shard 7 is read-only", f"✏️ Edited #{first}: Shard 7 and 8 are read-only",
        f"🗑️ Deleted their message #{rows[1][0]} in chat"]


def test_rate_limits_and_outages_still_deliver_everything_exactly_once(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    from .conftest import OUTAGE, RATE_LIMITED

    slack.script("conversations.create", RATE_LIMITED)
    slack.script("chat.postMessage", OUTAGE, RATE_LIMITED)
    slack.script("pins.add", RATE_LIMITED)
    start = clock.now()
    _declare(slack, slack_requests, runtime, clock)

    attempted = [m for m, _ in slack.calls]
    assert attempted.count("conversations.create") == 2 and attempted.count("pins.add") == 2
    assert [slack.count(m) for m in ("conversations.create", "conversations.setTopic", "conversations.invite",
                                     "pins.add", "chat.postMessage")] == [1, 1, 1, 1, 2]
    assert len(slack.channels) == 3 and len(slack.in_channel(ANNOUNCE_ID)) == 1
    # Each Retry-After (7 s) was honoured, not retried at once.
    assert (clock.now() - start).total_seconds() >= 3 * 7
    assert _incident(runtime).status is Status.investigating


def test_a_private_security_incident_keeps_its_title_out_of_slack_outside_its_room(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    slack_requests.command("UALICE", "")
    slack_requests.submit_declare("UALICE", slack.views[0], "Leaked customer export on a public bucket",
                                  "critical", ("security",))
    drain(runtime, clock)
    incident = _incident(runtime)
    room = slack.channel_named(f"inc-{incident.id}")
    assert room.is_private
    [announcement] = slack.in_channel(ANNOUNCE_ID)
    assert announcement.text == f"A private security incident was declared ({incident.ref})"
    assert all("bucket" not in m.text for m in slack.in_channel(ANNOUNCE_ID))
