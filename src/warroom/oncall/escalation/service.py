"""Escalation: page the targets of each step in turn until someone acknowledges.

Each step is a job row due at its time; the job runs in the same transaction that records its pages,
so a step happens exactly once. Jobs carry the alert's escalation generation: re-planning (snooze,
unacknowledge, escalate now, reassign) bumps it, and older jobs then do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import Membership, Team, User
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.db import generation
from warroom.db.memo import memo as transaction_memo
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.engine.runner import TransactionalHandler
from warroom.notifications import planning
from warroom.notifications.models import DeliveryStatus, Notification
from warroom.oncall.alerts.events import lock_alert, record_event
from warroom.oncall.alerts.models import AlertStatus, Priority
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride

ESCALATE_JOB = "escalate"


class Responding(Protocol):
    """Whom an alert pages: what an escalation plan is made from."""

    @property
    def escalation_policy_id(self) -> int | None: ...

    @property
    def responders(self) -> list[dict[str, Any]]: ...

    @property
    def team_id(self) -> int | None: ...


class Escalating(Responding, Protocol):
    """An alert as escalation pages it: the stored row, or a just-opened alert before it is read back.

    Escalation moves ``escalation_step`` and ``escalation_round`` on; the rest it reads.
    """

    escalation_step: int
    escalation_round: int

    @property
    def id(self) -> int: ...

    @property
    def escalation_generation(self) -> int: ...

    @property
    def message(self) -> str: ...

    @property
    def priority(self) -> Priority: ...

    @property
    def incident_id(self) -> int | None: ...


# Plans and who is on call are read from these rows: what a transaction changed in them is written before it
# asks for a kept answer.
generation.watch(generation.ROUTING, User, Team, Membership, EscalationPolicy, EscalationStep, Schedule,
                 ScheduleLayer, ScheduleOverride)


@dataclass(frozen=True)
class StepPlan:
    delay_minutes: int
    targets: list[dict[str, Any]]


def schedule(*, db: Session, alert: Escalating, due_at: datetime) -> None:
    _enqueue(db, alert.id, alert.escalation_generation, alert.escalation_step, alert.escalation_round, due_at)


def _enqueue(db: Session, alert_id: int, generation: int, step: int, round_: int, due_at: datetime) -> None:
    key = f"esc-{alert_id}-g{generation}-r{round_}-s{step}"
    queue.enqueue(db=db, kind=ESCALATE_JOB, idempotency_key=key, due_at=due_at,
                  payload={"alert_id": alert_id, "generation": generation, "step": step, "round": round_})


# Built once, on the table: the ORM's bulk UPDATE flushed the caller's pending changes first and then evaluated
# the session's notifications for every close (most of a close's cost in the resolved-events profile), and no
# caller reads a waiting notification back in the transaction that stops it (the sender re-reads its row).
_NOTIFICATIONS = cast(sa.Table, Notification.__table__)
_STOP = (sa.update(_NOTIFICATIONS)
         .where(_NOTIFICATIONS.c.alert_id == sa.bindparam("stopped_alert_id"),
                _NOTIFICATIONS.c.status == DeliveryStatus.queued, _NOTIFICATIONS.c.due_at > sa.bindparam("now"))
         .values(status=DeliveryStatus.cancelled, last_error="alert acknowledged or closed"))


def stop(*, db: Session, alert: Escalating, now: datetime) -> None:
    """Acknowledged or closed: notifications still waiting for their delay are not sent."""
    db.execute(_STOP, {"stopped_alert_id": alert.id, "now": now})


def policy_steps(*, db: Session, policy_id: int) -> tuple[list[StepPlan], int]:
    policy = db.get(EscalationPolicy, policy_id)
    if policy is None:
        return [], 0
    rows = db.scalars(sa.select(EscalationStep).where(EscalationStep.policy_id == policy_id)
                      .order_by(EscalationStep.position))
    return [StepPlan(s.delay_minutes, list(s.targets)) for s in rows], policy.repeat


def team_policy_id(*, db: Session, team_id: int) -> int | None:
    return db.scalar(sa.select(EscalationPolicy.id).where(EscalationPolicy.team_id == team_id)
                     .order_by(EscalationPolicy.id).limit(1))


def plan_for(db: Session, alert: Responding) -> tuple[list[StepPlan], int]:
    """The steps this alert escalates through: its policy and every responder's, merged; else its team's.

    Kept until a policy, step, team or schedule changes (``generation``): the plan is read for every alert that
    pages, and a plan is never changed by those who read it.
    """
    key = ("plan", alert.escalation_policy_id, repr(alert.responders), alert.team_id)
    memo = transaction_memo(db, "escalation")  # the engine runs a batch of steps in one transaction
    if key not in memo:
        memo[key] = generation.cached(db, generation.ROUTING, key, lambda: _plan_for(db, alert))
    plan: tuple[list[StepPlan], int] = memo[key]
    return plan


def _plan_for(db: Session, alert: Responding) -> tuple[list[StepPlan], int]:
    """Every responder's own plan, merged: a policy's steps, a team's policy (a team without one: the team, at
    once), a person or a schedule at once; the alert's own policy too. Nothing at all: its team's."""
    plans: list[tuple[list[StepPlan], int]] = []
    if alert.escalation_policy_id:
        plans.append(policy_steps(db=db, policy_id=alert.escalation_policy_id))
    direct: list[dict[str, Any]] = []
    for responder in alert.responders:
        kind, ref = responder.get("type"), int(responder.get("id", 0))
        # Paging a team runs the team's escalation policy, as the team has set it up.
        policy_id = ref if kind == "escalation" else team_policy_id(db=db, team_id=ref) if kind == "team" else None
        if policy_id:
            plans.append(policy_steps(db=db, policy_id=policy_id))
        elif kind in ("user", "team", "schedule") and {"type": kind, "id": ref} not in direct:
            direct.append({"type": kind, "id": ref})
    if direct:
        plans.append(([StepPlan(0, direct)], 0))
    plans = [(steps, repeat) for steps, repeat in plans if steps]
    if not plans and alert.team_id:
        policy_id = team_policy_id(db=db, team_id=alert.team_id)
        if policy_id:
            return policy_steps(db=db, policy_id=policy_id)
        return [StepPlan(0, [{"type": "team", "id": alert.team_id}])], 0
    return merge_plans(plans)


def merge_plans(plans: list[tuple[list[StepPlan], int]]) -> tuple[list[StepPlan], int]:
    """Several plans as one, step by step: step n pages every plan's step n (each person once).

    A step waits the shortest delay of the plans that go on after it (a plan that ends there does not hurry the
    others); the whole runs as many rounds as the plan that repeats most.
    """
    if len(plans) <= 1:
        return plans[0] if plans else ([], 0)
    merged = []
    for n in range(max(len(steps) for steps, _ in plans)):
        here = [(steps[n], n + 1 < len(steps) or repeat > 0) for steps, repeat in plans if n < len(steps)]
        targets: list[dict[str, Any]] = []
        for step, _ in here:
            targets.extend(t for t in step.targets if t not in targets)
        delay = min((step.delay_minutes for step, goes_on in here if goes_on), default=0)
        merged.append(StepPlan(delay, targets))
    return merged, max(repeat for _, repeat in plans)


class Paged(NamedTuple):
    """A person a step pages."""

    id: int
    handle: str


def resolve_targets(db: Session, targets: list[dict[str, Any]], at: datetime) -> tuple[Paged, ...]:
    """People to page now: a user, whoever is on call in a schedule, or a team's on-call people.

    Asked again for the same targets within the same second, the answer is reused until a person, team,
    membership or schedule changes (``generation``).
    """
    key = ("targets", repr(targets), at.replace(microsecond=0))
    memo = transaction_memo(db, "escalation")  # the engine runs a batch of steps in one transaction
    if key not in memo:
        memo[key] = generation.cached(db, generation.ROUTING, key, lambda: tuple(
            Paged(person.id, person.handle) for person in _resolve_targets(db, targets, at)))
    people: tuple[Paged, ...] = memo[key]
    return people


def _resolve_targets(db: Session, targets: list[dict[str, Any]], at: datetime) -> list[User]:
    from warroom.oncall.schedules import service as schedules

    found: dict[int, User] = {}
    for target in targets:
        kind, target_id = target.get("type"), int(target.get("id", 0))
        if kind == "user":
            user = db.get(User, target_id)
            people = [user] if user is not None and user.is_active else []
        elif kind == "schedule":
            schedule = schedules.get_schedule(db=db, ref=target_id)
            people = schedules.who_is_on_call(db=db, schedule=schedule, at=at)
        elif kind == "team":
            people = _team_on_call(db, target_id, at)
        else:
            people = []
        for person in people:
            found.setdefault(person.id, person)
    return list(found.values())


def _team_on_call(db: Session, team_id: int, at: datetime) -> list[User]:
    """The team's on-call people; a team without schedules pages every member."""
    from warroom.oncall.schedules import service as schedules

    team = db.get(Team, team_id)
    if team is None:
        return []
    if schedules.schedules_for_team(db=db, team=team):
        return schedules.who_is_on_call(db=db, team=team, at=at)
    query = (sa.select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.team_id == team_id, User.is_active.is_(True)).order_by(User.id))
    return list(db.scalars(query))


def make_step_handler(clock: Clock) -> TransactionalHandler:
    def run_escalation_step(db: Session, job: Job) -> None:
        escalation_step(db=db, job=job, now=clock.now(), clock=clock)

    return run_escalation_step


def escalation_step(*, db: Session, job: Job, now: datetime, clock: Clock) -> None:
    """Page this step's targets, then schedule the next step (or the next round)."""
    payload = job.payload
    alert = lock_alert(db=db, alert_id=int(payload["alert_id"]))
    current = (alert.escalation_generation, alert.escalation_step, alert.escalation_round)
    if alert.status is not AlertStatus.open or current != (payload["generation"], payload["step"], payload["round"]):
        return  # acknowledged, closed, or re-planned since: this job is stale
    if alert.snoozed_until is not None and alert.snoozed_until > now:
        return
    page_current_step(db=db, alert=alert, now=now, clock=clock)


def page_current_step(*, db: Session, alert: Escalating, now: datetime, clock: Clock) -> None:
    """Page the alert's current step now and schedule what follows.

    A new alert's first step runs here in the transaction that opens the alert (it is due at once), so the
    first notification is queued by the time the alert's sender hears back; later steps are engine jobs.
    """
    system = Actor.system(clock)
    steps, repeat = plan_for(db, alert)
    if not steps:
        record_event(db=db, actor=system, alert_id=alert.id, kind="unrouted",
                            body="Nobody to page: no escalation policy, responders or team")
        return
    step = steps[min(alert.escalation_step, len(steps) - 1)]
    people = resolve_targets(db, step.targets, now)
    for person in people:
        planning.plan_notifications(db=db, alert=alert, user_id=person.id, now=now,
                                    key=f"{alert.id}-g{alert.escalation_generation}-r{alert.escalation_round}"
                                        f"-s{alert.escalation_step}-u{person.id}")
    names = ", ".join(f"@{p.handle}" for p in people) or "nobody (no one on call)"
    record_event(db=db, actor=system, alert_id=alert.id, kind="escalated",
                        body=f"Step {alert.escalation_step + 1}: paged {names}",
                        step=alert.escalation_step, round=alert.escalation_round, users=[p.handle for p in people])
    _advance(db, alert, steps, repeat, step, now, system)


def position_after_first_step(db: Session, alert: Responding) -> tuple[int, int]:
    """(step, round) a new alert stands at once its first step has paged: known before the alert is written, so
    it is written once."""
    steps, repeat = plan_for(db, alert)
    return (_next_position(len(steps), repeat, 0, 0) if steps else None) or (0, 0)


def _next_position(steps: int, repeat: int, step: int, round_: int) -> tuple[int, int] | None:
    """Where escalation goes after paging ``step`` of round ``round_``; None when every round has paged."""
    if step + 1 < steps:
        return step + 1, round_
    return (0, round_ + 1) if round_ + 1 <= repeat else None


def _advance(db: Session, alert: Escalating, steps: list[StepPlan], repeat: int, step: StepPlan, now: datetime,
             system: Actor) -> None:
    position = _next_position(len(steps), repeat, alert.escalation_step, alert.escalation_round)
    if position is None:
        record_event(db=db, actor=system, alert_id=alert.id, kind="escalation_finished",
                     body="Every escalation step has paged; nobody acknowledged yet")
        return
    alert.escalation_step, alert.escalation_round = position
    schedule(db=db, alert=alert, due_at=now + timedelta(minutes=step.delay_minutes))
