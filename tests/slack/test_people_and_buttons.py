"""People Warroom does not know: remembered for a while, their messages kept; buttons that fail say why, privately."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from warroom.core.clock import FakeClock
from warroom.oncall.alerts.models import AlertStatus
from warroom.runtime import Runtime
from warroom.timeline.models import EntryKind, TimelineEntry

from .conftest import FakeSlack, People, SlackRequests, drain
from .test_pages import _page, _press, _status


def _messages(runtime: Runtime) -> list[tuple[str, int | None]]:
    with runtime.database.reading() as db:
        rows = db.execute(sa.select(TimelineEntry.body, TimelineEntry.actor_id)
                          .where(TimelineEntry.kind == EntryKind.message).order_by(TimelineEntry.id)).all()
    return [(body, actor) for body, actor in rows]


def _say(requests: SlackRequests, user: str, room: str, text: str, n: int) -> None:
    ts = f"17676001{n:02d}.000100"
    event = {"type": "message", "channel": room, "user": user, "text": text, "ts": ts, "event_ts": ts,
             "channel_type": "channel"}
    assert requests.event(event, f"EvSay{n}").status_code == 200


def test_an_unknown_slack_user_is_looked_up_once_in_ten_minutes_and_their_messages_are_kept(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    slack.names["UEVE"] = "Eve Example"
    slack_requests.command("UALICE", "declare Search is down --severity critical")
    drain(runtime, clock)
    room = slack.channel_named("inc-1-search-is-down")
    before = slack.count("users.info")

    _say(slack_requests, "UEVE", room.id, "I see errors on the EU shard", 1)
    _say(slack_requests, "UEVE", room.id, "and on the US shard now", 2)
    refused = slack_requests.command("UEVE", "status identified", channel=room.id)
    assert "warroom slack link UEVE" in refused.json()["text"]
    assert slack.count("users.info") == before + 1  # asked once, then remembered

    clock.advance(timedelta(minutes=11))
    _say(slack_requests, "UEVE", room.id, "recovered here", 3)
    assert slack.count("users.info") == before + 2  # forgotten after ten minutes: asked again

    _say(slack_requests, "UALICE", room.id, "thanks Eve", 4)
    assert _messages(runtime) == [
        ("(unlinked Slack user Eve Example) I see errors on the EU shard", None),
        ("(unlinked Slack user Eve Example) and on the US shard now", None),
        ("(unlinked Slack user Eve Example) recovered here", None),
        ("thanks Eve", people.alice.id),
    ]


def test_a_manual_link_counts_at_once_for_someone_remembered_as_unknown(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    from warroom.chat import service as chat
    from warroom.core.actor import Actor

    assert "warroom slack link UEVE" in slack_requests.command("UEVE", "help").json()["text"]
    with runtime.database.writing() as db:
        admin = Actor(people.alice.id, "alice", people.alice.access_role, "test", clock)
        chat.link_by_handle(db=db, actor=admin, platform="slack", person_id="UEVE", who="@bob")
    assert "/incident lead" in slack_requests.command("UEVE", "help").json()["text"]


def test_a_button_pressed_by_someone_unknown_or_refused_answers_only_them(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    alert_id = _page(runtime, clock, people, "UBOB")
    drain(runtime, clock)
    [dm] = slack.in_channel("DUBOB")

    stranger = _press(slack_requests, "UEVE", dm, "alert_acknowledge", alert_id)
    assert stranger.status_code == 200 and stranger.content == b""
    [(channel, user, text)] = slack.ephemeral
    assert (channel, user) == (dm.channel, "UEVE") and "warroom slack link UEVE" in text
    assert _status(runtime, alert_id) is AlertStatus.open

    _press(slack_requests, "UBOB", dm, "alert_close", alert_id)
    drain(runtime, clock)
    assert _status(runtime, alert_id) is AlertStatus.closed and len(slack.ephemeral) == 1  # it acted: no note

    _press(slack_requests, "UALICE", dm, "alert_escalate", alert_id)
    (channel, user, text) = slack.ephemeral[-1]
    assert (channel, user) == (dm.channel, "UALICE")
    assert text.startswith(f"Alert #{alert_id}") and "only open alerts escalate" in text
