"""Incidents on announcement days: the owner and customer support are told at once (real mail), the room says
so and shows a banner, and the status-update reminders come sooner while the day is on."""

from __future__ import annotations

import threading
from datetime import timedelta

from warroom.accounts import service as accounts
from warroom.announcement_days import service as days
from warroom.core.actor import Actor
from warroom.incidents import flows
from warroom.notifications import service as contact
from warroom.notifications.models import ContactKind
from warroom.timeline import service as timeline

from .conftest import add_day, day_on_now, notifications, room_bodies


def reach_by(runtime, user, *rules):
    with runtime.database.writing() as db:
        for kind, address, delay in rules:
            method = contact.add_contact_method(db=db, actor=Actor.system(runtime.clock), user=user, kind=kind,
                                                address=address)
            contact.add_rule(db=db, actor=Actor.system(runtime.clock), user=user, contact_method_id=method.id,
                             delay_minutes=delay)


def test_declaring_on_an_announcement_day_notifies_owner_and_support_at_once(runtime, factory, team, inbox,
                                                                             browser):
    reach_by(runtime, team["carol"], (ContactKind.email, "carol@support.example", 0),
             (ContactKind.sms, "+14155550123", 5))  # a delayed rule is for unanswered pages, not for this
    day_on_now(runtime)
    incident = factory.incident(team["bob"], "Checkout down", "critical")
    subject = "INC-1 [critical] on announcement day “Series B”: Checkout down"
    assert notifications(runtime) == [("erin", "email", subject), ("carol", "email", subject),
                                      ("cody", "email", subject)]
    engine = runtime.engine()
    engine.tick()
    engine.tick()
    assert sorted(m.rcpt_tos[0] for m in inbox.received) == [
        "carol@support.example", "cody@example.com", "erin@example.com"]
    assert {m.message["Subject"] for m in inbox.received} == {subject}
    assert "http://warroom.test/incidents/INC-1" in inbox.received[0].message.get_content()
    note = next(b for b in room_bodies(runtime, incident.id) if "announcement day" in b)
    assert note.startswith("Declared on announcement day “Series B” (funding, ")
    assert "Notified the marketing owner @erin and customer support (@carol, @cody) at once" in note

    room = browser(team["bob"]).get("/incidents/INC-1")
    assert 'id="announcement-day-banner"' in room.text
    banner = room.text.split('id="announcement-day-banner"', 1)[1].split("</p>", 1)[0]
    assert "Announcement day: Series B" in banner and "@erin" in banner and "Declared during it" in banner
    engine.tick()
    assert len(inbox.received) == 3  # exactly these, once


def test_an_incident_on_an_ordinary_day_notifies_nobody_and_has_no_banner(runtime, factory, team, browser):
    now = runtime.clock.now()
    add_day(runtime, now + timedelta(days=1), now + timedelta(days=2))  # tomorrow
    add_day(runtime, now - timedelta(days=2), now - timedelta(days=1), title="Past launch")
    factory.incident(team["bob"])
    runtime.engine().tick()
    assert notifications(runtime) == []
    assert "announcement-day-banner" not in browser(team["bob"]).get("/incidents/INC-1").text


def test_an_incident_open_when_the_day_begins_is_looped_in_once(runtime, factory, team, clock, inbox):
    now = clock.now()  # 09:00
    add_day(runtime, now + timedelta(hours=1), now + timedelta(hours=9), title="Launch", kind="launch")
    open_incident = factory.incident(team["bob"], "Slow search", "major")
    done = factory.incident(team["bob"], "Blip", "major")
    with runtime.database.writing() as db:
        flows.resolve_incident(db=db, actor=factory.actor(team["bob"]), ref=done.ref)
    engine = runtime.engine()
    clock.advance(timedelta(minutes=30))
    engine.tick()
    assert notifications(runtime) == []
    clock.advance(timedelta(minutes=30))  # 10:00: the day begins
    engine.tick()
    engine.tick()
    subject = "INC-1 [major] on announcement day “Launch”: Slow search"
    assert notifications(runtime) == [("erin", "email", subject), ("carol", "email", subject),
                                      ("cody", "email", subject)]
    assert len(inbox.received) == 3
    assert any(b.startswith("Open as it begins: announcement day “Launch” (launch, ")
               for b in room_bodies(runtime, open_incident.id))
    assert not any("announcement day" in b for b in room_bodies(runtime, done.id))
    clock.advance(timedelta(hours=1))
    engine.tick()
    engine.tick()
    assert len(notifications(runtime)) == 3 and len(inbox.received) == 3  # once per incident and day
    factory.incident(team["bob"], "Another", "major")  # declared during it: told at declare, not again
    engine.tick()
    engine.tick()
    assert [n[2] for n in notifications(runtime)][3:] == [
        "INC-3 [major] on announcement day “Launch”: Another"] * 3
    assert len(inbox.received) == 6


def test_a_private_security_incident_is_not_named_to_the_people_told(runtime, factory, team):
    day_on_now(runtime)
    factory.incident(team["bob"], "Leaked customer data", "critical", security=True)
    subjects = {n[2] for n in notifications(runtime)}
    assert subjects == {"INC-1 [critical] private security incident on announcement day “Series B”"}


def test_without_an_owner_or_support_the_room_says_nobody_could_be_told(runtime, factory):
    bob = factory.user("bob")
    factory.user("erin", teams=("marketing",))
    day_on_now(runtime)
    with runtime.database.writing() as db:
        erin = accounts.find_person(db=db, who="@erin")
        erin.is_active = False
    incident = factory.incident(bob)
    assert notifications(runtime) == []
    assert any(b.endswith("(funding, Mon 05 Jan 2026 08:00 to 17:00 (UTC)). Nobody could be notified (no active "
                          "owner and no customer-support team members), so planned activities can be held off and "
                          "support is ready to respond.") for b in room_bodies(runtime, incident.id))


# The reminder cadence --------------------------------------------------------------------------------------


def reminders(runtime, incident_id):
    with runtime.database.reading() as db:
        return [e.body for e in timeline.list_entries(db=db, incident_id=incident_id, limit=500)
                if e.data.get("reminder")]


def test_a_day_with_a_reminder_interval_tightens_the_cadence_while_it_is_on(runtime, factory, team, clock):
    now = clock.now()
    add_day(runtime, now - timedelta(hours=1), now + timedelta(minutes=15), reminder_minutes=10)
    critical = factory.incident(team["bob"], "Checkout down", "critical")  # usually reminded after 30 minutes
    major = factory.incident(team["bob"], "Slow exports", "major")  # usually after 60
    engine = runtime.engine()
    clock.advance(timedelta(minutes=9))
    engine.tick()
    assert reminders(runtime, critical.id) == []
    clock.advance(timedelta(minutes=1))
    engine.tick()
    assert reminders(runtime, critical.id) == [
        "Incident lead (none assigned yet): no status update for 10 minutes. Post one with /incident update … or "
        "/incident summary …"]
    assert len(reminders(runtime, major.id)) == 1
    clock.advance(timedelta(minutes=10))  # 09:20: the day ended at 09:15, the usual cadence is back
    engine.tick()
    assert len(reminders(runtime, critical.id)) == 1
    clock.advance(timedelta(minutes=20))  # 30 minutes after the last reminder
    engine.tick()
    assert len(reminders(runtime, critical.id)) == 2
    assert len(reminders(runtime, major.id)) == 1


def test_a_day_never_loosens_the_cadence(runtime, factory, team, clock):
    day_on_now(runtime, reminder_minutes=45)
    critical = factory.incident(team["bob"], "Checkout down", "critical")
    engine = runtime.engine()
    clock.advance(timedelta(minutes=30))
    engine.tick()
    assert len(reminders(runtime, critical.id)) == 1


def test_two_engines_at_the_moment_a_day_begins_loop_in_each_incident_once(runtime, factory, team, clock):
    now = clock.now()
    add_day(runtime, now + timedelta(minutes=1), now + timedelta(hours=8))
    made = [factory.incident(team["bob"], f"Incident {n}", "major") for n in range(6)]
    clock.advance(timedelta(minutes=1))
    managers = [days.make_manager(clock), days.make_manager(clock)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tick(manager):
        barrier.wait()
        try:
            manager(runtime.database, clock.now())
        except BaseException as error:  # a lost race fails before notifying anyone; collected below
            errors.append(error)

    threads = [threading.Thread(target=tick, args=(m,)) for m in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    runtime.engine().tick()  # whatever a lost race left is picked up on the next tick
    per_incident = {i.id: sum(1 for _, _, s in notifications(runtime) if s.startswith(f"{i.ref} ")) for i in made}
    assert per_incident == {i.id: 3 for i in made}  # erin, carol and cody: once each
    for incident in made:
        assert sum("announcement day" in b for b in room_bodies(runtime, incident.id)) == 1
    assert all("UniqueViolation" in repr(e) or "IntegrityError" in repr(e) for e in errors), errors
