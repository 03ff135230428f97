"""End to end with a fast-forward clock: exactly these pages, and no others.

A team's alert pages whoever is on call now, escalates after the step's delay, stops on acknowledge;
an override moves the page; a DST change neither skips nor doubles a shift.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.commands.runner import run_command
from warroom.core.actor import Actor
from warroom.notifications.models import Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules import service as schedules

MONDAY_0800_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET, UTC+1)


class Harness:
    """Runs the engine as the clock moves and checks the pages it sends against the expected list."""

    def __init__(self, runtime, factory, clock):
        self.runtime, self.factory, self.clock = runtime, factory, clock
        self.engine = runtime.engine()
        self.seen = 0

    def run_for(self, delta: timedelta, step: timedelta = timedelta(minutes=1)) -> None:
        end = self.clock.now() + delta
        self.engine.tick()
        while self.clock.now() < end:
            self.clock.advance(step)
            self.engine.tick()

    def pages(self) -> list[str]:
        with self.runtime.database.reading() as db:
            rows = db.execute(sa.select(Notification.user_id).order_by(Notification.id)).all()
            handles = {u.id: u.handle for u in accounts.list_users(db=db)}
        return [handles[user_id] for (user_id,) in rows]

    def expect_pages(self, *handles: str) -> None:
        """Exactly these new pages since the last check, in order."""
        got = self.pages()[self.seen:]
        assert got == list(handles)
        self.seen += len(got)

    def command(self, who, text, incident=None):
        with self.runtime.database.writing() as db:
            return run_command(db=db, actor=self.factory.actor(who), text=text, incident_ref=incident)


@pytest.fixture
def delivery(runtime, factory, clock):
    """Team delivery: weekly rotation bob → dan handing off Mondays 09:00 Berlin; then alice; repeat once."""
    clock.set(MONDAY_0800_UTC)
    alice = factory.user("alice", AccessRole.admin)
    bob = factory.user("bob", teams=("delivery",))
    dan = factory.user("dan", teams=("delivery",))
    admin = factory.actor(alice)
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="delivery")
        assert team is not None
        schedule = schedules.create_schedule(db=db, actor=admin, slug="delivery-primary", name="Delivery primary",
                                             time_zone="Europe/Berlin", team=team)
        schedules.add_layer(db=db, actor=admin, schedule=schedule, rotation="weekly",
                            handoff_local="2026-03-02T09:00", participants=["bob", "dan"])
        policy = EscalationPolicy(slug="delivery", name="Delivery", team_id=team.id, repeat=1,
                                  created_at=clock.now())
        db.add(policy)
        db.flush()
        db.add_all([
            EscalationStep(policy_id=policy.id, position=0, delay_minutes=5,
                           targets=[{"type": "schedule", "id": schedule.id}]),
            EscalationStep(policy_id=policy.id, position=1, delay_minutes=10,
                           targets=[{"type": "user", "id": alice.id}]),
        ])
    return {"alice": alice, "bob": bob, "dan": dan, "schedule_id": schedule.id}


def test_alert_for_a_team_pages_on_call_then_escalates_then_repeats(runtime, factory, clock, delivery):
    harness = Harness(runtime, factory, clock)
    result = harness.command(delivery["alice"], "/genie alert search is down for delivery")
    assert result.message.startswith("Paged team delivery: alert #1")
    harness.run_for(timedelta(minutes=4))
    harness.expect_pages("bob")
    harness.run_for(timedelta(minutes=1))  # the first step's 5 minutes are up
    harness.expect_pages("alice")
    harness.run_for(timedelta(minutes=9))
    harness.expect_pages()
    harness.run_for(timedelta(minutes=1))  # the second step's 10 minutes: the policy repeats once
    harness.expect_pages("bob")
    harness.run_for(timedelta(minutes=5))
    harness.expect_pages("alice")
    harness.run_for(timedelta(hours=2))
    harness.expect_pages()  # repeat 1 means two rounds in all; then it stops
    with runtime.database.reading() as db:
        kinds = [e.kind for e in alerts.events(db=db, alert_id=1)]
    assert kinds.count("escalated") == 4
    assert [k for k in kinds if k in ("escalated", "escalation_finished")][-1] == "escalation_finished"


def test_acknowledging_stops_escalation(runtime, factory, clock, delivery):
    harness = Harness(runtime, factory, clock)
    harness.command(delivery["alice"], "/genie alert checkout errors for @delivery")
    harness.run_for(timedelta(minutes=2))
    harness.expect_pages("bob")
    assert "Acknowledged alert #1" in harness.command(delivery["bob"], "/genie ack 1").message
    harness.run_for(timedelta(hours=3))
    harness.expect_pages()


def test_duplicate_pages_do_not_page_twice(runtime, factory, clock, delivery):
    with runtime.database.writing() as db:
        for _ in range(3):
            alerts.raise_alert(db=db, actor=Actor.system(clock),
                               spec=alerts.AlertSpec(message="disk full", alias="disk-1",
                                                     responders=[{"type": "team", "id": 1}]))
    harness = Harness(runtime, factory, clock)
    harness.run_for(timedelta(minutes=1))
    harness.expect_pages("bob")
    with runtime.database.reading() as db:
        assert alerts.find_alert(db=db, identifier="disk-1", kind="alias").count == 3


def test_an_override_moves_the_page(runtime, factory, clock, delivery):
    with runtime.database.writing() as db:
        schedule = schedules.get_schedule(db=db, ref=delivery["schedule_id"])
        schedules.add_override(db=db, actor=factory.actor(delivery["dan"]), schedule=schedule, user="dan",
                               replaces="bob", start_at=clock.now(), end_at=clock.now() + timedelta(hours=8))
    harness = Harness(runtime, factory, clock)
    harness.command(delivery["alice"], "/genie alert api latency for delivery")
    harness.run_for(timedelta(minutes=1))
    harness.expect_pages("dan")
    assert "dan" in harness.command(delivery["alice"], "/genie whoisoncall delivery").message


def test_the_dst_change_neither_skips_nor_doubles_a_shift(runtime, factory, clock, delivery):
    """Berlin springs forward on 2026-03-29. Dan's week (from Mon 23 Mar 09:00 CET) ends Mon 30 Mar 09:00 CEST."""
    harness = Harness(runtime, factory, clock)
    handles = []
    for moment in [datetime(2026, 3, 30, 6, 59, tzinfo=UTC),  # 08:59 CEST: still dan's week
                   datetime(2026, 3, 30, 7, 0, tzinfo=UTC),  # 09:00 CEST: bob's week begins
                   datetime(2026, 3, 29, 1, 30, tzinfo=UTC)]:  # in the night of the change: dan
        result = harness.command(delivery["alice"], f"/genie whoisoncall delivery --at {moment.isoformat()}")
        handles.append(result.data["on_call"][0]["users"])
    assert handles == [["dan"], ["bob"], ["dan"]]


def test_paging_from_an_incident_room_pages_into_the_incident(runtime, factory, clock, delivery):
    harness = Harness(runtime, factory, clock)
    incident = factory.incident(delivery["alice"], "Search down", "critical")
    result = harness.command(delivery["alice"], "/genie alert we have an incident, please help for delivery",
                             incident=incident.ref)
    assert result.incident_ref == incident.ref
    from warroom.checklists import service as checklists
    from warroom.timeline import service as timeline

    with runtime.database.reading() as db:
        alert = alerts.find_alert(db=db, identifier="1")
        assert alert.incident_id == incident.id and alert.priority.value == "P1"
        bodies = [e.body for e in timeline.list_entries(db=db, incident_id=incident.id)]
        assert "Paged team delivery: we have an incident, please help (alert #1)" in bodies
        assert checklists.get_item(db=db, incident_id=incident.id, key="paged").is_settled
    harness.run_for(timedelta(minutes=1))
    harness.expect_pages("bob")


def test_genie_mistakes_are_clear(runtime, factory, clock, delivery):
    from warroom.commands.language import CommandError
    from warroom.core.errors import NotFound

    harness = Harness(runtime, factory, clock)
    with pytest.raises(CommandError, match="after 'for'"):
        harness.command(delivery["alice"], "/genie alert everything is broken")
    with pytest.raises(NotFound, match="No team or person 'nobody'"):
        harness.command(delivery["alice"], "/genie alert down for nobody")
    with pytest.raises(CommandError, match="Did you mean 'whoisoncall'"):
        harness.command(delivery["alice"], "/genie whoisoncal")
    with runtime.database.reading() as db:
        assert alerts.list_alerts(db=db)[1] == 0
