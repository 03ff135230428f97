"""An alert for several responders pages every one of them, each through its own policy, a person once a step
(issue 13, defect 2)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.notifications.models import Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.service import StepPlan, merge_plans

from ..support import drain


def _policy(runtime, admin: Actor, slug: str, team: str | None, steps: list[tuple[int, list[str]]],
            repeat: int = 0) -> int:
    with runtime.database.writing() as db:
        found = accounts.find_team(db=db, name=team) if team else None
        plan = [{"delay_minutes": delay, "targets": [{"type": "user", "id": h} for h in handles]}
                for delay, handles in steps]
        return policies.create_policy(db=db, actor=admin, slug=slug, name=slug, steps=plan, team=found,
                                      repeat=repeat).id


def _raise(runtime, clock, responders: list[dict[str, Any]], alias: str = "checkout-down") -> int:
    with runtime.database.writing() as db:
        raised = alerts.raise_alert(db=db, actor=Actor.system(clock), spec=alerts.AlertSpec(
            message="Checkout is down", alias=alias, responders=responders))
    return raised.alert_id


def _team(runtime, slug: str) -> dict[str, Any]:
    with runtime.database.reading() as db:
        team = accounts.find_team(db=db, name=slug)
        assert team is not None
        return {"type": "team", "id": team.id}


def _user(user: User) -> dict[str, Any]:
    return {"type": "user", "id": user.id}


def paged(runtime, alert_id: int) -> list[list[str]]:
    """Who each escalation step paged, in order (handles, as the alert's timeline records them)."""
    with runtime.database.reading() as db:
        found = db.scalars(sa.select(AlertEvent).where(AlertEvent.alert_id == alert_id,
                                                       AlertEvent.kind == "escalated").order_by(AlertEvent.id))
        return [list(e.data["users"]) for e in found]


def test_two_teams_and_a_person_are_all_paged_each_team_through_its_own_policy(runtime, clock, people, admin):
    _policy(runtime, admin, "engineering-pager", "engineering", [(5, ["bob"]), (5, ["dan"])])
    _policy(runtime, admin, "support-pager", "customer-support", [(10, ["carol"]), (10, ["alice"])])
    alert_id = _raise(runtime, clock, [_team(runtime, "engineering"), _team(runtime, "customer-support"),
                                       _user(people["erin"])])
    # The first step of both teams' policies, and the person named directly, at once.
    assert paged(runtime, alert_id) == [["bob", "carol", "erin"]]
    clock.advance(timedelta(minutes=4))
    drain(runtime)
    assert len(paged(runtime, alert_id)) == 1  # nobody's next step is due yet
    clock.advance(timedelta(minutes=1))  # the shorter wait of the two policies that go on
    drain(runtime)
    assert paged(runtime, alert_id) == [["bob", "carol", "erin"], ["dan", "alice"]]


def test_a_person_named_by_several_responders_is_paged_once_a_step(runtime, clock, people, admin):
    _policy(runtime, admin, "engineering-pager", "engineering", [(5, ["bob"])])
    extra = _policy(runtime, admin, "db-pager", None, [(5, ["bob", "dan"])])
    alert_id = _raise(runtime, clock, [_team(runtime, "engineering"), _user(people["bob"]),
                                       {"type": "escalation", "id": extra}])
    assert paged(runtime, alert_id) == [["bob", "dan"]]
    with runtime.database.reading() as db:
        sent = dict(db.execute(sa.select(Notification.user_id, sa.func.count()).where(
            Notification.alert_id == alert_id).group_by(Notification.user_id)).all())
    assert sent == {people["bob"].id: 1, people["dan"].id: 1}  # bob, named three times, is paged once


def test_a_team_without_a_policy_pages_its_members_beside_another_teams_policy(runtime, clock, people, admin):
    _policy(runtime, admin, "engineering-pager", "engineering", [(5, ["bob"]), (5, ["dan"])])
    alert_id = _raise(runtime, clock, [_team(runtime, "engineering"), _team(runtime, "customer-support")])
    assert paged(runtime, alert_id) == [["bob", "carol"]]


def test_plans_merge_step_by_step_and_a_plan_that_ends_does_not_hurry_the_others():
    a, b, c, d = ({"type": "user", "id": n} for n in range(1, 5))
    merged, repeat = merge_plans([([StepPlan(1, [a])], 0),
                                  ([StepPlan(10, [b, a]), StepPlan(3, [c])], 2),
                                  ([StepPlan(7, [d]), StepPlan(4, [d])], 0)])
    assert merged == [StepPlan(7, [a, b, d]), StepPlan(3, [c, d])]
    assert repeat == 2
    assert merge_plans([]) == ([], 0)
    assert merge_plans([([StepPlan(5, [a])], 1)]) == ([StepPlan(5, [a])], 1)


@pytest.mark.parametrize(("steps", "repeat", "stands_at"), [
    ([(5, ["bob"]), (5, ["dan"])], 0, (1, 0)),  # the next step
    ([(5, ["bob"])], 2, (0, 1)),  # the next round
    ([(5, ["bob"])], 0, (0, 0)),  # nothing follows
])
def test_a_new_alert_is_written_once_standing_where_its_first_step_leaves_escalation(
        runtime, clock, people, admin, steps, repeat, stands_at):
    policy_id = _policy(runtime, admin, "engineering-pager", "engineering", steps, repeat=repeat)
    updates: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE ALERTS") and "escalation_step" in statement:
            updates.append(statement)  # the alert's position, written again

    sa.event.listen(runtime.database.engine, "before_cursor_execute", seen)
    try:
        alert_id = _raise(runtime, clock, [{"type": "escalation", "id": policy_id}])
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", seen)
    assert updates == []
    with runtime.database.reading() as db:
        alert = db.get(Alert, alert_id)
        assert alert is not None and (alert.escalation_step, alert.escalation_round) == stands_at
