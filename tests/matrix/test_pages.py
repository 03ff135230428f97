"""Pages as Matrix direct messages: a 👍 reaction or a reply “ack” acknowledges, and the page is edited to say so."""

from __future__ import annotations

import pytest

from warroom.chat_inbound.matrix.listener import MatrixListener
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.integrations.matrix.client import ALERT_FIELD, MatrixPlatform
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus
from warroom.oncall.alerts.service import AlertSpec
from warroom.runtime import Runtime

from .conftest import Homeserver, People, Person, current_text, drain, heard, own_messages

pytestmark = pytest.mark.matrix


def _page(runtime: Runtime, clock: FakeClock, people: People, address: str, message: str) -> int:
    system = Actor.system(clock)
    with runtime.database.writing() as db:
        method = notifications.add_contact_method(db=db, actor=system, user=people.bob, kind=ContactKind.chat,
                                                  address=address)
        notifications.add_rule(db=db, actor=system, user=people.bob, contact_method_id=method.id, delay_minutes=0)
        spec = AlertSpec(message=message, responders=[{"type": "user", "id": people.bob.id}])
        return alerts.raise_alert(db=db, actor=system, spec=spec).alert_id


def _status(runtime: Runtime, alert_id: int) -> AlertStatus:
    with runtime.database.reading() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None
        return alert.status


def _the_page(person: Person, bot: MatrixPlatform, homeserver: Homeserver, alert_id: int) -> tuple[str, str]:
    room = bot.direct_room(person.user_id)
    person.join(room)
    pages = [m for m in own_messages(person.messages(room), homeserver.bot.user_id)
             if m["content"].get(ALERT_FIELD) == str(alert_id)]
    return room, str(pages[-1]["event_id"])  # the direct room outlives each test's database: the newest page


def test_a_thumbs_up_on_the_page_acknowledges_it(homeserver: Homeserver, people: People, listener: MatrixListener,
                                                 runtime: Runtime, clock: FakeClock, bot: MatrixPlatform) -> None:
    alert_id = _page(runtime, clock, people, "@bob", "Checkout fails")  # a handle: bob's linked Matrix user
    drain(runtime, clock)
    bob = people.bob_matrix
    room, page = _the_page(bob, bot, homeserver, alert_id)
    text = current_text(bob.messages(room), page)
    assert "Checkout fails" in text and "React with 👍" in text

    bob.react(room, page, "👍")
    assert heard(listener) == 1
    assert _status(runtime, alert_id) is AlertStatus.acknowledged
    drain(runtime, clock)
    edited = current_text(bob.messages(room), page)
    assert edited.splitlines()[-1] == "✅ Acknowledged by @bob" and "Checkout fails" in edited
    assert "React with 👍" not in edited  # no longer open: no call to act

    bob.react(room, page, "👍🏽")  # again: the alert service says it is acknowledged already
    assert heard(listener) == 1
    assert _status(runtime, alert_id) is AlertStatus.acknowledged


def test_replying_ack_to_the_page_acknowledges_it(homeserver: Homeserver, people: People, listener: MatrixListener,
                                                  runtime: Runtime, clock: FakeClock, bot: MatrixPlatform) -> None:
    alert_id = _page(runtime, clock, people, homeserver.bob.user_id, "Disk full on db-2")  # a Matrix user id
    drain(runtime, clock)
    bob = people.bob_matrix
    room, page = _the_page(bob, bot, homeserver, alert_id)
    bob.send(room, "escalate", reply_to=page)
    assert heard(listener) == 1
    drain(runtime, clock)
    assert _status(runtime, alert_id) is AlertStatus.open
    assert current_text(bob.messages(room), page).splitlines()[-2] == "⏫ Escalated by @bob"

    bob.send(room, f"> <{homeserver.bot.user_id}> Disk full on db-2\n\nack", reply_to=page)
    assert heard(listener) == 1
    assert _status(runtime, alert_id) is AlertStatus.acknowledged
    drain(runtime, clock)
    assert current_text(bob.messages(room), page).endswith("⏫ Escalated by @bob\n✅ Acknowledged by @bob")
