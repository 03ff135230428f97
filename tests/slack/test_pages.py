"""Pages as Slack direct messages: Acknowledge / Escalate / Close buttons act, and the message says who did what."""

from __future__ import annotations

from typing import Any

from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus
from warroom.oncall.alerts.service import AlertSpec
from warroom.runtime import Runtime

from .conftest import FakeSlack, Message, People, SlackRequests, drain


def _page(runtime: Runtime, clock: FakeClock, people: People, address: str) -> int:
    system = Actor.system(clock)
    with runtime.database.writing() as db:
        method = notifications.add_contact_method(db=db, actor=system, user=people.bob, kind=ContactKind.chat,
                                                  address=address)
        notifications.add_rule(db=db, actor=system, user=people.bob, contact_method_id=method.id, delay_minutes=0)
        spec = AlertSpec(message="Checkout fails", responders=[{"type": "user", "id": people.bob.id}])
        return alerts.raise_alert(db=db, actor=system, spec=spec).alert_id


def _status(runtime: Runtime, alert_id: int) -> AlertStatus:
    with runtime.database.reading() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None
        return alert.status


def _press(requests: SlackRequests, user: str, dm: Message, action: str, alert_id: int) -> Any:
    return requests.interaction({
        "type": "block_actions", "user": {"id": user, "username": user.lower(), "team_id": "T0001"},
        "api_app_id": "A123456", "team": {"id": "T0001"}, "trigger_id": "1234.5678",
        "container": {"type": "message", "message_ts": dm.ts, "channel_id": dm.channel, "is_ephemeral": False},
        "channel": {"id": dm.channel, "name": "directmessage"},
        "message": {"type": "message", "ts": dm.ts, "text": dm.text, "blocks": dm.blocks},
        "response_url": "https://hooks.slack.com/actions/T0001/1/x",
        "actions": [{"type": "button", "action_id": action, "block_id": "b1", "value": str(alert_id),
                     "action_ts": "1767600200.000100", "text": {"type": "plain_text", "text": action}}],
    })


def test_a_page_arrives_as_a_dm_whose_buttons_act(people: People, slack: FakeSlack, slack_requests: SlackRequests,
                                                   runtime: Runtime, clock: FakeClock) -> None:
    alert_id = _page(runtime, clock, people, "@bob")  # a handle: found in Slack by bob's email
    drain(runtime, clock)
    [dm] = slack.in_channel("DUBOB")
    assert "Checkout fails" in dm.text
    assert dm.buttons() == ["alert_acknowledge", "alert_escalate", "alert_close"]

    escalated = _press(slack_requests, "UBOB", dm, "alert_escalate", alert_id)
    assert escalated.status_code == 200
    drain(runtime, clock)
    assert dm.text.endswith("⏫ Escalated by @bob") and dm.buttons()  # still open: the buttons stay

    _press(slack_requests, "UBOB", dm, "alert_acknowledge", alert_id)
    drain(runtime, clock)
    assert _status(runtime, alert_id) is AlertStatus.acknowledged
    assert dm.text.endswith("✅ Acknowledged by @bob") and dm.buttons() == []

    _press(slack_requests, "UEVE", dm, "alert_close", alert_id)  # not a Warroom user: nothing happens
    drain(runtime, clock)
    assert _status(runtime, alert_id) is AlertStatus.acknowledged


def test_a_page_to_a_member_id_survives_a_rate_limit_and_a_refused_button_says_why(
        people: People, slack: FakeSlack, slack_requests: SlackRequests, runtime: Runtime, clock: FakeClock) -> None:
    from .conftest import RATE_LIMITED

    slack.script("chat.postMessage", RATE_LIMITED)
    alert_id = _page(runtime, clock, people, "UBOB")
    drain(runtime, clock)
    [dm] = slack.in_channel("DUBOB")
    assert slack.count("users.lookupByEmail") == 0

    _press(slack_requests, "UBOB", dm, "alert_close", alert_id)
    drain(runtime, clock)
    assert _status(runtime, alert_id) is AlertStatus.closed
    _press(slack_requests, "UALICE", dm, "alert_escalate", alert_id)
    drain(runtime, clock)
    assert "⚠️ @alice: Alert #" in dm.text and "only open alerts escalate" in dm.text
    assert dm.buttons() == []
