"""Changes no announcement is made for still reach the channel at once; a channel name already taken gets a suffix."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.chat.rendering import MOVED_TO_PRIVATE, PRIVATE_ROOM
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.engine.models import Job, JobState
from warroom.incidents import flows
from warroom.runtime import Runtime

from .conftest import ANNOUNCE_ID, Channel, FakeSlack, People, SlackRequests, drain


def _declare(requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    declared = requests.command("UALICE", "declare Search is down --severity critical --customer-impact")
    assert declared.json()["text"] == "Declared INC-1 (critical): Search is down", declared.json()
    drain(runtime, clock)


def _alice(runtime: Runtime, people: People, clock: FakeClock) -> Actor:
    return Actor(people.alice.id, "alice", people.alice.access_role, "test", clock)


def test_flagging_security_later_moves_the_incident_to_a_private_channel_and_redacts_the_announcement(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    _declare(slack_requests, runtime, clock)
    public = slack.channel_named("inc-1-search-is-down")
    assert not public.is_private
    [announcement] = slack.in_channel(ANNOUNCE_ID)
    assert "Search is down" in announcement.text

    flagged = slack_requests.command("UALICE", "security", channel=public.id)
    assert flagged.json()["response_type"] == "ephemeral", flagged.json()
    drain(runtime, clock)

    # Slack cannot make a public channel private: the public one gets a note and is archived, and the incident
    # goes on in a new private channel named without its title, its participants invited.
    assert public.archived
    note = slack.in_channel(public.id)[-1]
    assert note.text == MOVED_TO_PRIVATE and "Search is down" not in note.text
    private = slack.channel_named("inc-1")
    assert private.is_private and private.id != public.id and not private.archived
    assert "UALICE" in private.members
    [summary] = slack.in_channel(private.id)
    assert PRIVATE_ROOM in summary.text
    assert announcement.text == "A private security incident was declared (INC-1)"
    assert slack.count("conversations.create") == 2 and slack.count("conversations.archive") == 1

    # Messages in the private channel reach the incident; a later change edits its summary in place.
    slack_requests.command("UALICE", "status identified", channel=private.id)
    drain(runtime, clock)
    assert "identified" in summary.text
    assert slack.count("conversations.create") == 2


def test_title_summary_and_messenger_changes_update_the_pinned_summary_and_the_announcement(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    _declare(slack_requests, runtime, clock)
    room = slack.channel_named("inc-1-search-is-down")
    [summary] = slack.in_channel(room.id)
    [announcement] = slack.in_channel(ANNOUNCE_ID)

    said = slack_requests.command("UALICE", "summary Shard 7 lost its replica; failing over", channel=room.id)
    assert said.json()["text"] == "Summary of INC-1 updated"
    drain(runtime, clock)
    assert "Summary: Shard 7 lost its replica; failing over" in summary.text

    slack_requests.command("UALICE", "messenger @bob", channel=room.id)
    drain(runtime, clock)
    assert "Messenger: @bob" in summary.text

    with runtime.database.writing() as db:
        flows.update_details(db=db, actor=_alice(runtime, people, clock), ref=1, title="Search returns no results")
    drain(runtime, clock)
    assert "*INC-1: Search returns no results*" in summary.text
    assert announcement.text.startswith("INC-1 [critical] Search returns no results (customer impact)")
    assert room.name == "inc-1-search-returns-no-results"
    assert slack.count("chat.postMessage") == 2 and summary.edits == 3


def test_a_taken_channel_name_is_tried_once_more_with_a_suffix(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    slack.channels["COTHER"] = Channel("COTHER", "inc-1-search-is-down", False)
    _declare(slack_requests, runtime, clock)
    room = slack.channel_named("inc-1-search-is-down-2")
    assert room.members == {"UALICE"} and len(slack.in_channel(room.id)) == 1
    assert [m for m, _ in slack.calls].count("conversations.create") == 2

    slack_requests.command("UALICE", "status identified", channel=room.id)
    drain(runtime, clock)
    assert room.name == "inc-1-search-is-down-2"  # kept: not renamed back to the taken name
    assert slack.count("conversations.rename") == 0 and room.topic.startswith("Critical · identified")


def test_when_the_suffixed_name_is_taken_too_the_job_stops_with_the_reason(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    slack.channels["COTHER"] = Channel("COTHER", "inc-1-search-is-down", False)
    slack.channels["COTHER2"] = Channel("COTHER2", "inc-1-search-is-down-2", False)
    _declare(slack_requests, runtime, clock)
    with runtime.database.reading() as db:
        dead = db.scalars(sa.select(Job).where(Job.kind == "chat_sync", Job.state == JobState.dead)).all()
        assert [job.last_error for job in dead] == ["A room named 'inc-1-search-is-down-2' exists already."]
        assert [j for j in db.scalars(sa.select(Job)) if j.state is JobState.pending] == []
