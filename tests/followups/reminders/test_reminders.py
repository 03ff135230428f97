"""Overdue follow-ups remind their owners once a day, through the notification delivery (a real SMTP inbox)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, User
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.followups import reminders
from warroom.followups import service as followups
from warroom.followups.models import FollowUp
from warroom.notifications import service as contact
from warroom.notifications.models import Notification
from warroom.runtime import Runtime

from ... import support
from ...factories import Factory
from ...support import Inbox, inbox_fixture
from ...web.conftest import WebUser, browser  # noqa: F401  (fixtures, registered by importing them)

DAY_ONE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


inbox = inbox_fixture()


@pytest.fixture
def people(factory: Factory, clock: FakeClock) -> dict[str, User]:
    clock.set(DAY_ONE - timedelta(days=5))
    return support.people(factory, {"bob": (), "carol": (), "ada": AccessRole.admin})


def add(runtime: Runtime, factory: Factory, who: User, ref: str, text: str, owner: str, due: str) -> FollowUp:
    with runtime.database.writing() as db:
        return followups.create_followup(db=db, actor=factory.actor(who), ref=ref, text=text, owner=owner, due=due)


def sent(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.database.reading() as db:
        query = (sa.select(User.handle, Notification.subject).join(User, User.id == Notification.user_id)
                 .order_by(Notification.id))
        return [(h, s) for h, s in db.execute(query)]


def tick(runtime: Runtime, clock: FakeClock, when: datetime) -> None:
    """Run a new engine at ``when``, as a restart or another engine process would."""
    clock.set(when)
    engine = runtime.engine()
    engine.tick()
    engine.tick()


def test_due_yesterday_reminds_once_a_day_until_done(runtime: Runtime, factory: Factory, clock: FakeClock,
                                                     people: dict[str, User], inbox: Inbox) -> None:
    incident = factory.incident(people["bob"], "Search down")
    first = add(runtime, factory, people["bob"], incident.ref, "Add an alert on <lag>", "@carol", "2026-03-09")
    add(runtime, factory, people["bob"], incident.ref, "Not due yet", "@carol", "2026-03-20")

    tick(runtime, clock, DAY_ONE)
    assert sent(runtime) == [("carol", f"Overdue follow-up #{first.id} ({incident.ref}), due 2026-03-09")]
    assert len(inbox.received) == 1
    mail = inbox.received[0]
    assert mail.rcpt_tos == ["carol@example.com"]
    body = mail.message.get_content()
    assert f"{incident.ref} follow-up #{first.id}: Add an alert on <lag> (due 2026-03-09)" in body
    assert f"http://warroom.test/incidents/{incident.ref}/followups" in body
    assert "http://warroom.test/followups/overdue" in body

    tick(runtime, clock, DAY_ONE + timedelta(hours=5))  # the same day, another engine: nothing more
    tick(runtime, clock, DAY_ONE + timedelta(hours=14, minutes=59))
    assert len(sent(runtime)) == 1 and len(inbox.received) == 1

    tick(runtime, clock, DAY_ONE + timedelta(days=1))  # the next day: again
    assert len(sent(runtime)) == 2 and len(inbox.received) == 2

    with runtime.database.writing() as db:
        followups.update_followup(db=db, actor=factory.actor(people["carol"]), followup_id=first.id, status="done")
    tick(runtime, clock, DAY_ONE + timedelta(days=2))
    assert len(sent(runtime)) == 2  # done: no more reminders


def test_one_message_per_owner_listing_all_theirs(runtime: Runtime, factory: Factory, clock: FakeClock,
                                                 people: dict[str, User], inbox: Inbox) -> None:
    one = factory.incident(people["bob"], "Search down")
    two = factory.incident(people["bob"], "Exports slow", "major")
    add(runtime, factory, people["bob"], one.ref, "Shard the index", "@carol", "2026-03-01")
    add(runtime, factory, people["bob"], two.ref, "Raise the quota", "@carol", "2026-03-05")
    add(runtime, factory, people["bob"], two.ref, "Write the runbook", "@bob", "2026-03-08")
    tick(runtime, clock, DAY_ONE)
    assert sorted(sent(runtime)) == [("bob", "Overdue follow-up #3 (INC-2), due 2026-03-08"),
                                     ("carol", "2 overdue follow-ups")]
    carol = next(m for m in inbox.received if m.rcpt_tos == ["carol@example.com"]).message.get_content()
    assert "Shard the index (due 2026-03-01)" in carol and "Raise the quota (due 2026-03-05)" in carol


def test_done_and_ownerless_follow_ups_send_nothing(runtime: Runtime, factory: Factory, clock: FakeClock,
                                                   people: dict[str, User], inbox: Inbox, browser: Any) -> None:  # noqa: F811
    incident = factory.incident(people["bob"], "Search down")
    done = add(runtime, factory, people["bob"], incident.ref, "Already fixed", "@carol", "2026-03-01")
    add(runtime, factory, people["bob"], incident.ref, "Nobody owns this", "", "2026-03-02")
    with runtime.database.writing() as db:
        followups.update_followup(db=db, actor=factory.actor(people["bob"]), followup_id=done.id, status="done")
    tick(runtime, clock, DAY_ONE)
    assert sent(runtime) == [] and inbox.received == []
    page = browser(people["bob"]).get("/followups/overdue")
    assert "Nobody owns this" in page.text and "owner: nobody" in page.text
    assert "Already fixed" not in page.text


def test_reminders_go_to_immediate_contact_methods(runtime: Runtime, factory: Factory, clock: FakeClock,
                                                   people: dict[str, User], inbox: Inbox) -> None:
    with runtime.database.writing() as db:
        system = Actor.system(runtime.clock)
        owner = db.get(User, people["carol"].id)
        now = contact.add_contact_method(db=db, actor=system, user=owner, kind="email",
                                         address="carol@work.example")
        later = contact.add_contact_method(db=db, actor=system, user=owner, kind="email",
                                           address="carol@home.example")
        contact.add_rule(db=db, actor=system, user=owner, contact_method_id=now.id, delay_minutes=0)
        contact.add_rule(db=db, actor=system, user=owner, contact_method_id=later.id, delay_minutes=10)
    incident = factory.incident(people["bob"], "Search down")
    add(runtime, factory, people["bob"], incident.ref, "Add an alert", "@carol", "2026-03-09")
    tick(runtime, clock, DAY_ONE)
    assert [m.rcpt_tos for m in inbox.received] == [["carol@work.example"]]


def test_a_private_incident_is_not_named_to_an_owner_who_may_not_see_it(
        runtime: Runtime, factory: Factory, clock: FakeClock, people: dict[str, User], inbox: Inbox) -> None:
    incident = factory.incident(people["bob"], "Leaked keys", security=True)
    followup = add(runtime, factory, people["bob"], incident.ref, "Rotate the signing keys", "@carol",
                   "2026-03-09")
    tick(runtime, clock, DAY_ONE)
    body = inbox.received[0].message.get_content()
    assert f"follow-up #{followup.id} of a private security incident, due 2026-03-09" in body
    assert "Rotate the signing keys" not in body and "Leaked keys" not in body


def test_the_manager_checks_at_most_every_ten_minutes_within_a_day(runtime: Runtime, factory: Factory,
                                                                  clock: FakeClock, people: dict[str, User],
                                                                  inbox: Inbox) -> None:
    manager = reminders.make_manager("http://warroom.test", clock)
    incident = factory.incident(people["bob"], "Search down")
    manager(runtime.database, DAY_ONE)
    add(runtime, factory, people["bob"], incident.ref, "Late already", "@carol", "2026-03-01")
    manager(runtime.database, DAY_ONE + timedelta(minutes=5))
    assert sent(runtime) == []
    manager(runtime.database, DAY_ONE + timedelta(minutes=10))
    assert len(sent(runtime)) == 1


def test_two_engines_at_once_send_one_reminder(runtime: Runtime, factory: Factory, clock: FakeClock,
                                              people: dict[str, User], inbox: Inbox) -> None:
    incident = factory.incident(people["bob"], "Search down")
    for n in range(5):
        add(runtime, factory, people["bob"], incident.ref, f"Task {n}", "@carol", "2026-03-09")
    clock.set(DAY_ONE)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def engine_process() -> None:
        manager = reminders.make_manager("http://warroom.test", clock)
        barrier.wait()
        try:
            manager(runtime.database, DAY_ONE)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=engine_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sent(runtime) == [("carol", "5 overdue follow-ups")]
