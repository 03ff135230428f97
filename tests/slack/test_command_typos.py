"""A line in a channel that starts like a mistyped command is answered to its author with the closest command
(chat.postEphemeral), as the web room and the CLI answer it; ordinary lines starting with a slash are not."""

from __future__ import annotations

from warroom.chat_inbound.slack.answers import send_notes
from warroom.chat_inbound.slack.socket_mode import answer_envelope
from warroom.core.clock import FakeClock
from warroom.runtime import Runtime

from .conftest import GENERAL_ID, FakeSlack, People, SlackRequests, drain


def _said(channel: str, text: str, ts: str) -> dict[str, str]:
    return {"type": "message", "channel": channel, "user": "UBOB", "text": text, "ts": ts, "event_ts": ts,
            "channel_type": "channel"}


def test_a_mistyped_command_in_an_incident_channel_is_answered_with_the_closest_one(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    slack_requests.command("UALICE", "declare Search is down --severity critical")
    drain(runtime, clock)
    room = slack.channel_named("inc-1-search-is-down")

    typo = _said(room.id, "/incdent lead <@UBOB>", "1767600100.000100")
    assert slack_requests.event(typo, "Ev101").status_code == 200
    assert slack_requests.event(typo, "Ev101").status_code == 200  # Slack's retry: answered once
    [(channel, user, text)] = slack.ephemeral
    assert (channel, user) == (room.id, "UBOB")
    assert text.startswith("Unknown command '/incdent'. Did you mean '/incident'?"), text

    slack_requests.event(_said(room.id, "/lead <@UBOB>", "1767600101.000100"), "Ev102")
    assert "Did you mean '/incident lead'?" in slack.ephemeral[-1][2]
    assert "Usage: /incident lead @user" in slack.ephemeral[-1][2]

    for n, line in enumerate(("/var/log is full on db-2", "/shrug", " /lead is the metal", "lead is fine")):
        slack_requests.event(_said(room.id, line, f"1767600110.00010{n}"), f"Ev11{n}")
    assert len(slack.ephemeral) == 2


def test_a_mistyped_command_outside_incident_channels_is_answered_too(
        people: People, slack: FakeSlack, slack_requests: SlackRequests) -> None:
    slack_requests.event(_said(GENERAL_ID, "/genei whoisoncall", "1767600200.000100"), "Ev201")
    [(channel, user, text)] = slack.ephemeral
    assert (channel, user) == (GENERAL_ID, "UBOB")
    assert "Did you mean '/genie'?" in text


def test_in_socket_mode_the_answer_is_a_note_sent_after_the_acknowledgement(
        people: People, slack: FakeSlack, runtime: Runtime) -> None:
    envelope = {"envelope_id": "env-typo", "type": "events_api", "accepts_response_payload": False,
                "retry_attempt": 0, "retry_reason": "",
                "payload": {"token": "x", "team_id": "T0001", "api_app_id": "A123456", "type": "event_callback",
                            "event_id": "EvSocket1", "event_time": 1767600000,
                            "event": _said(GENERAL_ID, "/incdent lead <@UBOB>", "1767600300.000100")}}
    ack, notes = answer_envelope(runtime, envelope)
    assert ack == {"envelope_id": "env-typo"}
    [note] = notes
    assert (note.room_id, note.person_id) == (GENERAL_ID, "UBOB")
    assert note.text.startswith("Unknown command '/incdent'. Did you mean '/incident'?")
    send_notes(runtime, notes)
    assert slack.ephemeral[-1][2] == note.text
