"""A page's buttons act on its alert as the person who pressed them; a press that cannot act says why, and the
page keeps its buttons while the alert, as that person may read it, is still open."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from warroom.chat import pages
from warroom.chat import service as chat
from warroom.core.access import AccessRole
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.engine.models import Job
from warroom.integrations.chat import FakeChat
from warroom.notifications.models import ContactKind
from warroom.notifications.senders import OutgoingNotification, SenderRegistry
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.service import AlertSpec
from warroom.ports.chat import ButtonPressed
from warroom.runtime import Runtime

from ..factories import Factory


@dataclass
class Prefixed(FakeChat):
    """A fake platform whose people's ids start with its name and a colon, as ``chirp:bob``."""

    def is_member_id(self, address: str) -> bool:
        return address.startswith(f"{self.name}:")


def _page_to(address: str) -> OutgoingNotification:
    return OutgoingNotification("page-1", ContactKind.chat, address, "bob", "Bob", "[P1] #1 Checkout fails",
                                "Checkout fails", 1, "Checkout fails", "P1", "http://warroom.test/alerts/1",
                                "http://warroom.test/alerts/1/acknowledge")


def _press(runtime: Runtime, actor: Actor, action: str, value: str) -> pages.Pressed:
    with runtime.database.writing() as db:
        return pages.press(db=db, actor=actor, event=ButtonPressed("UBOB", action, value, "DBOB", "1767600200.1"),
                           message_text="[P1] Checkout fails", platform="slack")


def _edit(runtime: Runtime) -> dict[str, object]:
    with runtime.database.reading() as db:
        job = db.scalars(sa.select(Job).where(Job.kind == pages.MESSAGE_UPDATE_JOB).order_by(Job.id.desc())).first()
        assert job is not None
        return dict(job.payload)


@pytest.mark.parametrize("number", [str(2**31), "99999999999999999999", "0"])
def test_a_press_on_an_alert_number_no_alert_can_have_says_there_is_none(runtime: Runtime, factory: Factory,
                                                                        number: str) -> None:
    pressed = _press(runtime, factory.actor(factory.user("bob")), pages.ACKNOWLEDGE, number)
    assert not pressed.acted and pressed.line == f"⚠️ @bob: No alert #{int(number)}."
    assert _edit(runtime)["alert_id"] == int(number)  # nothing was closed: the buttons stay


def test_a_refused_press_keeps_the_buttons_only_while_the_alert_is_open(runtime: Runtime, factory: Factory,
                                                                        clock: FakeClock) -> None:
    bob = factory.user("bob")
    with runtime.database.writing() as db:
        alert_id = alerts.raise_alert(db=db, actor=Actor.system(clock),
                                      spec=AlertSpec(message="Checkout fails")).alert_id
    reader = factory.actor(factory.user("vera", access=AccessRole.viewer))
    refused = _press(runtime, reader, pages.ACKNOWLEDGE, str(alert_id))
    assert not refused.acted and _edit(runtime)["alert_id"] == alert_id  # still open: the buttons stay

    assert _press(runtime, factory.actor(bob), pages.CLOSE, str(alert_id)).acted
    refused = _press(runtime, factory.actor(bob), pages.ESCALATE, str(alert_id))
    assert not refused.acted and "only open alerts escalate" in refused.line
    assert _edit(runtime)["alert_id"] is None  # closed: the buttons go


def test_a_page_goes_to_the_platform_whose_member_id_its_address_is_however_many_are_configured(
        runtime: Runtime, factory: Factory, clock: FakeClock) -> None:
    bob = factory.user("bob")
    slack, matrix, chirp = Prefixed(name="slack"), Prefixed(name="matrix"), Prefixed(name="chirp")
    senders = SenderRegistry({})
    for platform in (slack, matrix, chirp):
        senders = pages.with_chat_pages(senders, platform, runtime.database, clock)
    chat_pages = senders.sender_for(ContactKind.chat)
    for address in ("chirp:bob", "matrix:bob", "slack:bob"):
        chat_pages.send(_page_to(address))
    assert [dm.user for dm in chirp.sent + matrix.sent + slack.sent] == ["chirp:bob", "matrix:bob", "slack:bob"]

    with runtime.database.writing() as db:  # a @handle: the first platform, where bob is linked
        chat.link_person(db=db, platform="slack", person_id="slack:bob", user=bob, linked_by="manual",
                         now=clock.now())
    chat_pages.send(_page_to("@bob"))
    assert [dm.user for dm in slack.sent] == ["slack:bob", "slack:bob"] and len(chirp.sent) == 1
