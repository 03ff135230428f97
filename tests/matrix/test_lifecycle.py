"""An incident run from Matrix against a real Synapse: `!incident declare` → room, topic, pinned summary,
announcement; a status change edits both in place; room messages and 📌 reach the timeline; close archives."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import sqlalchemy as sa

from warroom.chat.models import ChatRoom
from warroom.chat_inbound.matrix.listener import MatrixListener
from warroom.core.clock import FakeClock
from warroom.incidents.models import Incident, Status
from warroom.integrations.matrix.client import ARCHIVED_PREFIX, MatrixPlatform
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from .conftest import Homeserver, People, Person, current_text, drain, heard, own_messages

pytestmark = pytest.mark.matrix


def _incident(runtime: Runtime) -> Incident:
    with runtime.database.reading() as db:
        incident = db.scalar(sa.select(Incident).order_by(Incident.id.desc()))
        assert incident is not None
        db.expunge(incident)
        return incident


def _room(runtime: Runtime, incident_id: int) -> ChatRoom:
    with runtime.database.reading() as db:
        room = db.scalar(sa.select(ChatRoom).where(ChatRoom.incident_id == incident_id,
                                                   ChatRoom.platform == "matrix"))
        assert room is not None
        db.expunge(room)
        return room


def _declare(homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
             clock: FakeClock) -> tuple[Incident, ChatRoom]:
    people.alice_matrix.send(homeserver.announce_room,
                             "!incident declare Search is down --severity critical --customer-impact")
    assert heard(listener) == 1
    drain(runtime, clock)
    incident = _incident(runtime)
    room = _room(runtime, incident.id)
    assert room.room_id is not None
    people.alice_matrix.join(room.room_id)
    return incident, room


def test_declare_opens_a_room_with_topic_pinned_summary_and_announcement(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        clock: FakeClock) -> None:
    incident, room = _declare(homeserver, people, listener, runtime, clock)
    assert incident.title == "Search is down" and incident.reporter_id == people.alice.id
    alice = people.alice_matrix
    assert room.room_id is not None

    said = own_messages(alice.messages(homeserver.announce_room), homeserver.bot.user_id)
    assert said[-2]["content"]["body"].startswith(f"Declared {incident.ref}")  # the answer to the command
    announcement = said[-1]
    assert announcement["event_id"] == room.announcement_message_id
    assert announcement["content"]["body"].startswith(
        f"{incident.ref} [critical] Search is down (customer impact) — investigating")
    assert f"https://matrix.to/#/{room.room_id}" in announcement["content"]["body"]
    assert f'<a href="http://warroom.test/incidents/{incident.ref}">' in announcement["content"]["formatted_body"]

    assert alice.state(room.room_id, "m.room.name")["name"] == f"inc-{incident.id}-search-is-down"
    assert alice.state(room.room_id, "m.room.topic")["topic"] == "Critical · investigating · no lead yet"
    [summary] = own_messages(alice.messages(room.room_id), homeserver.bot.user_id)
    assert alice.state(room.room_id, "m.room.pinned_events")["pinned"] == [summary["event_id"]]
    assert summary["content"]["body"].startswith(f"{incident.ref}: Search is down\n")
    assert summary["content"]["formatted_body"].startswith(f"<strong>{incident.ref}: Search is down</strong>")
    assert "`!incident help` lists the commands" in summary["content"]["body"]


def test_a_status_command_in_the_room_edits_summary_and_announcement_then_close_archives(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        clock: FakeClock) -> None:
    incident, room = _declare(homeserver, people, listener, runtime, clock)
    alice = people.alice_matrix
    assert room.room_id is not None and room.summary_message_id and room.announcement_message_id

    command = alice.send(room.room_id, "!incident status monitoring the fix is out")
    assert heard(listener) == 1
    assert _incident(runtime).status is Status.monitoring
    answer = own_messages(alice.messages(room.room_id), homeserver.bot.user_id)[-1]
    assert answer["content"]["body"] == f"{incident.ref} is now monitoring"
    assert answer["content"]["msgtype"] == "m.notice"
    assert answer["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == command
    drain(runtime, clock)

    in_room, announced = alice.messages(room.room_id), alice.messages(homeserver.announce_room)
    assert "Status: monitoring" in current_text(in_room, room.summary_message_id)
    assert "— monitoring" in current_text(announced, room.announcement_message_id)
    assert alice.state(room.room_id, "m.room.topic")["topic"] == "Critical · monitoring · no lead yet"
    # The announce room is the homeserver's, shared by this worker's tests: only what came after this incident's
    # announcement is this test's.
    ours = announced[[m["event_id"] for m in announced].index(room.announcement_message_id):]
    edits = [m for m in ours if m["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"]
    assert edits and all(m["content"]["m.relates_to"]["event_id"] == room.announcement_message_id for m in edits)

    alice.send(room.room_id, "!incident resolve the shard was rebuilt")
    alice.send(room.room_id, "!incident close --reason drill, postmortem waived")
    assert heard(listener) == 2
    drain(runtime, clock)
    assert _incident(runtime).status is Status.closed
    said = own_messages(alice.messages(room.room_id), homeserver.bot.user_id)
    final = next(m for m in said if m["content"]["body"].startswith(f"{incident.ref} is closed"))
    assert "Time to resolve" in final["content"]["body"]
    assert alice.state(room.room_id, "m.room.name")["name"].startswith(ARCHIVED_PREFIX + f"inc-{incident.id}-")
    assert alice.state(room.room_id, "m.room.power_levels")["events_default"] == 50
    assert "— closed" in current_text(alice.messages(homeserver.announce_room), room.announcement_message_id)
    assert _room(runtime, incident.id).archived
    with pytest.raises(AssertionError, match="M_FORBIDDEN"):  # read-only now: the homeserver refuses
        alice.send(room.room_id, "one more thing")


def test_messages_join_the_timeline_and_a_pushpin_marks_a_key_event(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        clock: FakeClock) -> None:
    incident, room = _declare(homeserver, people, listener, runtime, clock)
    assert room.room_id is not None
    bob = people.bob_matrix
    bob.join(room.room_id)  # a public incident's room: anyone on the homeserver may join
    said = bob.send(room.room_id, "Rolled back the index to yesterday's snapshot")
    assert heard(listener) == 1
    people.alice_matrix.react(room.room_id, said, "📌")
    people.eve_matrix.join(room.room_id)
    people.eve_matrix.send(room.room_id, "I am not in Warroom")
    assert heard(listener) == 2
    with runtime.database.reading() as db:
        entries = list(db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                                 TimelineEntry.actor_id == people.bob.id)))
    assert [(e.body, e.pinned) for e in entries] == [("Rolled back the index to yesterday's snapshot", True)]
    with runtime.database.reading() as db:
        bodies = list(db.scalars(sa.select(TimelineEntry.body).where(TimelineEntry.incident_id == incident.id)))
    assert "I am not in Warroom" not in bodies


def test_bad_input_is_refused_with_what_to_do_in_a_direct_message(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        bot: MatrixPlatform) -> None:
    alice = people.alice_matrix
    alice.send(homeserver.announce_room, "!incident declare Search is down --severity apocalyptic")
    alice.send(homeserver.announce_room, "!incident status monitoring")  # not in an incident's room
    assert heard(listener) == 2
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
    direct = bot.direct_room(alice.user_id)
    alice.join(direct)
    refusals = [m["content"]["body"] for m in own_messages(alice.messages(direct), homeserver.bot.user_id)]
    assert any("apocalyptic" in r and "!incident declare" in r for r in refusals[-2:]), refusals
    assert not any("/incident" in r.replace("!incident", "") for r in refusals)


def test_a_send_retried_after_a_lost_answer_posts_once(homeserver: Homeserver, bot: MatrixPlatform) -> None:
    room = bot.create_room(name="inc-99-retry", private=True)
    first = bot.post_message(room_id=room.id, text="Status: monitoring")
    again = bot.post_message(room_id=room.id, text="Status: monitoring")  # the engine's retry of the same send
    assert again.message_id == first.message_id
    other = bot.post_message(room_id=room.id, text="Status: resolved")
    assert other.message_id != first.message_id
    bodies = [m["content"].get("body") for m in Person(homeserver.url, homeserver.bot).messages(room.id)]
    assert bodies.count("Status: monitoring") == 1


def test_a_timeline_cut_short_by_the_homeserver_is_read_in_full(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime, bot: MatrixPlatform,
        clock: FakeClock) -> None:
    incident, room = _declare(homeserver, people, listener, runtime, clock)
    assert room.room_id is not None
    short = MatrixListener(runtime.database, bot, clock, timeline_limit=3)  # resumes at the stored position
    bob = people.bob_matrix
    bob.join(room.room_id)
    said = [f"Finding {n}" for n in range(12)]
    for text in said:
        bob.send(room.room_id, text)
    assert short.sync_once(timeout_ms=5000) == len(said)
    with runtime.database.reading() as db:
        bodies = list(db.scalars(sa.select(TimelineEntry.body).where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.actor_id == people.bob.id)
            .order_by(TimelineEntry.id)))
    assert bodies == said


def test_flagging_security_later_closes_the_room_in_place(
        homeserver: Homeserver, people: People, listener: MatrixListener, runtime: Runtime,
        clock: FakeClock) -> None:
    incident, room = _declare(homeserver, people, listener, runtime, clock)
    assert room.room_id is not None
    alice = people.alice_matrix
    alice.send(room.room_id, "!incident security")
    assert heard(listener) == 1
    drain(runtime, clock)
    rules = alice.call("GET", f"/rooms/{quote(room.room_id, safe='')}/state/m.room.join_rules/")
    history = alice.call("GET", f"/rooms/{quote(room.room_id, safe='')}/state/m.room.history_visibility/")
    assert rules["join_rule"] == "invite" and history["history_visibility"] == "joined"
    assert _room(runtime, incident.id).room_id == room.room_id  # the same room, now private
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(ChatRoom.private).where(ChatRoom.id == room.id)) is True
