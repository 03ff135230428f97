"""Routing answers kept across transactions (who is on call, a plan, a person's rules) until their rows change.

Every test pages a team whose schedule has bob on call this week (dan next), at one frozen instant, so only a
change of the rows can change the answer; each change is made the way another process or a hand-written
statement would make it, outside this process's sessions.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.core.actor import Actor
from warroom.db import generation
from warroom.db.engine import Database
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactKind, Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertEvent
from warroom.oncall.alerts.service import AlertSpec
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule, ScheduleOverride

from .. import support

MONDAY_9_BERLIN = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.fixture
def team(runtime, factory, clock) -> Team:
    """engineering: a weekly rotation bob → dan from Monday 09:00 Berlin; the clock stands on its Tuesday."""
    people = support.people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                                      "dan": "engineering"})
    admin = factory.actor(people["alice"])
    with runtime.database.writing() as db:
        found = accounts.find_team(db=db, name="engineering")
        schedule = schedules.create_schedule(db=db, actor=admin, slug="platform", name="Platform",
                                             time_zone="Europe/Berlin", team=found)
        schedules.add_layer(db=db, actor=admin, schedule=schedule, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["@bob", "@dan"])
        db.expunge(found)
    clock.set(MONDAY_9_BERLIN + timedelta(days=1))
    return found


def page(runtime, clock, team: Team) -> list[str]:
    """Raise a new alert for the team; who its first step paged."""
    with runtime.database.writing() as db:
        alert_id = alerts.raise_alert(db=db, actor=Actor.system(clock),
                                      spec=AlertSpec(message="Checkout fails", team_id=team.id)).alert_id
    with runtime.database.reading() as db:
        escalated = db.scalar(sa.select(AlertEvent).where(AlertEvent.alert_id == alert_id,
                                                          AlertEvent.kind == "escalated"))
        assert escalated is not None
        return list(escalated.data["users"])


class Undo(Exception):
    pass


@contextmanager
def statements(runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def said(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    engine = runtime.database.engine
    sa.event.listen(engine, "before_cursor_execute", said)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", said)


@pytest.fixture
def elsewhere(runtime) -> Iterator[sa.Engine]:
    """Another process's connection to the same database: nothing of this process's sessions or hooks."""
    other = sa.create_engine(runtime.database.url)
    yield other
    other.dispose()


def test_who_is_on_call_is_read_once_and_kept_while_nothing_changes(runtime, clock, team):
    assert page(runtime, clock, team) == ["bob"]
    with statements(runtime) as seen:
        assert page(runtime, clock, team) == ["bob"]
    assert not [s for s in seen if "schedule_layers" in s or "escalation_policies" in s
                or "notification_rules" in s]


def test_a_change_made_by_another_process_is_paged_at_once(runtime, clock, team, elsewhere):
    assert page(runtime, clock, team) == ["bob"]
    with Session(elsewhere) as db, db.begin():  # an override for dan, written by another process
        dan = db.scalar(sa.select(User.id).where(User.handle == "dan"))
        schedule = db.scalar(sa.select(Schedule.id))
        db.add(ScheduleOverride(schedule_id=schedule, user_id=dan, start_at=clock.now() - timedelta(hours=1),
                                end_at=clock.now() + timedelta(hours=1), created_at=clock.now()))
    assert page(runtime, clock, team) == ["dan"]


@pytest.mark.parametrize(("change", "paged"), [
    ("UPDATE users SET is_active = false WHERE handle = 'bob'", []),
    ("UPDATE schedule_layers SET participants = '[{dan}]'", ["dan"]),
    ("DELETE FROM schedule_layers", []),
    ("DELETE FROM schedule_layers; DELETE FROM schedules", ["alice", "bob", "dan"]),  # the team's members
])
def test_a_statement_by_hand_is_paged_at_once(runtime, clock, team, elsewhere, change, paged):
    """Bob deactivated, the rotation edited, emptied, the schedule gone: by statements typed into the database."""
    assert page(runtime, clock, team) == ["bob"]
    with elsewhere.begin() as conn:
        dan = conn.scalar(sa.text("SELECT id FROM users WHERE handle = 'dan'"))
        for statement in change.format(dan=dan).split("; "):
            conn.execute(sa.text(statement))
    assert page(runtime, clock, team) == paged


def test_every_table_routing_reads_is_watched_by_the_database():
    """The tables of the classes the routing answers register are the tables migration 0023 sets triggers on."""
    path = Path(generation.__file__).parent / "migrations" / "versions" / "0023_routing_generation.py"
    spec = importlib.util.spec_from_file_location("routing_generation", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    watched = {cls.__tablename__ for cls in generation._watched[generation.ROUTING]}
    assert watched == set(migration.WATCHED)


def test_a_change_of_what_routes_nothing_keeps_the_answers(runtime, clock, team, elsewhere):
    with runtime.database.reading() as db:
        before = generation.current_token(db, generation.ROUTING)
    with elsewhere.begin() as conn:
        conn.execute(sa.text("UPDATE users SET name = 'Robert' WHERE handle = 'bob'"))
    with runtime.database.reading() as db:
        assert generation.current_token(db, generation.ROUTING) == before
    with elsewhere.begin() as conn:
        conn.execute(sa.text("UPDATE users SET handle = 'robert' WHERE handle = 'bob'"))
    with runtime.database.reading() as db:
        assert generation.current_token(db, generation.ROUTING) != before
    assert page(runtime, clock, team) == ["robert"]


def test_a_person_s_new_rule_is_used_by_their_next_page(runtime, clock, team):
    assert page(runtime, clock, team) == ["bob"]
    system = Actor.system(clock)
    with runtime.database.writing() as db:
        bob = db.scalar(sa.select(User).where(User.handle == "bob"))
        assert bob is not None
        method = notifications.add_contact_method(db=db, actor=system, user=bob, kind=ContactKind.email,
                                                  address="bob-pager@example.com")
        notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
    page(runtime, clock, team)
    with runtime.database.reading() as db:
        methods = db.scalars(sa.select(Notification.contact_method_id).order_by(Notification.id)).all()
    assert methods == [None, method.id]  # first the address bob signed up with; then his new rule


def test_an_answer_read_from_a_change_that_rolls_back_is_not_kept(runtime, clock, team, factory):
    """Paged inside a transaction that moved the page to dan, then rolled back: bob is paged next."""
    alice = factory.actor(factory.user("alice-2", AccessRole.admin))

    def override_page_and_undo() -> None:
        with runtime.database.writing() as db:
            schedule = schedules.get_schedule(db=db, ref="platform")
            schedules.add_override(db=db, actor=alice, schedule=schedule, user="@dan",
                                   start_at=clock.now() - timedelta(hours=1), end_at=clock.now() + timedelta(hours=1))
            alerts.raise_alert(db=db, actor=Actor.system(clock), spec=AlertSpec(message="Inside", team_id=team.id))
            raise Undo

    with pytest.raises(Undo):
        override_page_and_undo()
    assert page(runtime, clock, team) == ["bob"]


def test_each_database_keeps_its_own_answers(runtime, team):
    """Two databases in one process (a test run's, a restored copy) never answer from each other's, even at the
    same token."""
    def answer(database: Database, value: str) -> str:
        with database.reading() as db:
            return generation.cached(db, generation.ROUTING, "who", lambda: value)

    assert answer(runtime.database, "first") == "first"
    other = Database(runtime.database.url)
    try:
        assert answer(other, "second") == "second"
        assert answer(runtime.database, "not read") == "first" and answer(other, "not read") == "second"
    finally:
        other.dispose()


@pytest.mark.postgres_only
def test_two_transactions_changing_routing_rows_do_not_wait_on_the_token(runtime, team, elsewhere):
    """The token row is written at commit (deferred triggers), so an open transaction that changed a schedule
    does not hold it: another one changing a policy commits at once, and both changes renew the token."""
    with runtime.database.reading() as db:
        before = generation.current_token(db, generation.ROUTING)
    with elsewhere.connect() as first, elsewhere.connect() as second:
        first.execute(sa.text("UPDATE schedules SET description = 'first'"))  # left open
        second.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        second.execute(sa.text("UPDATE teams SET name = 'Engineering!'"))
        second.commit()  # would raise LockNotAvailable had the first held the token row
        with runtime.database.reading() as db:
            after_second = generation.current_token(db, generation.ROUTING)
        first.commit()
    with runtime.database.reading() as db:
        after_first = generation.current_token(db, generation.ROUTING)
    assert len({before, after_second, after_first}) == 3
