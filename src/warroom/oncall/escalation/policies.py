"""Escalation policies: who is paged, in which order, after how long, and how often it all repeats.

A policy has ordered steps. Each step pages its targets (a person, whoever is on call in a schedule,
or a team's on-call people) and waits ``delay_minutes`` before the next step; after the last step the
whole policy runs ``repeat`` more times while nobody acknowledges. A team has at most one policy: it is
what paging the team runs.

Keyword-only, takes a session, commits nothing. Admins write policies; every change is audited.
Everything a change asks for is checked before anything is written.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.oncall.alerts.models import Alert, AlertStatus
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
MAX_NAME = 200
MAX_STEPS = 20
MAX_TARGETS = 20
MAX_DELAY_MINUTES = 1440  # a day: a longer wait is not escalation any more
MAX_REPEAT = 10
MAX_ID = 2**31 - 1  # ids are 32-bit integers; a larger number names nothing (and PostgreSQL would refuse it)
STEP_EXAMPLE = '{"delay_minutes": 5, "targets": [{"type": "schedule", "id": "platform-primary"}]}'


class TargetKind(enum.StrEnum):
    user = "user"
    schedule = "schedule"
    team = "team"
    escalation = "escalation"  # an alert's responder only: run this policy


STEP_KINDS = frozenset({TargetKind.user, TargetKind.schedule, TargetKind.team})
RESPONDER_KINDS = frozenset(TargetKind)


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # "leave this as it is" in update_policy, so None can mean "no team"


@dataclass(frozen=True)
class Target:
    """Someone to page, resolved: what the escalation engine stores ({type, id}) and what people read."""

    type: TargetKind
    id: int
    name: str  # handle or slug

    @property
    def label(self) -> str:
        return f"@{self.name}" if self.type is TargetKind.user else f"{self.type.value} {self.name}"

    def stored(self) -> dict[str, Any]:
        return {"type": self.type.value, "id": self.id}


@dataclass(frozen=True)
class StepSpec:
    delay_minutes: int
    targets: tuple[Target, ...]


# Targets ----------------------------------------------------------------------------------------------


def _say(where: str, text: str) -> str:
    """``where`` ("Step 2, target 1: ") then the problem; a sentence either way."""
    return where + text if where else text[:1].upper() + text[1:]


def _kind(value: object, allowed: Collection[TargetKind], field: str, where: str) -> TargetKind:
    names = ", ".join(sorted(k.value for k in allowed))
    try:
        kind = TargetKind(str(value).strip().lower())
    except ValueError:
        kind = None
    if kind is None or kind not in allowed:
        raise ValidationFailed(_say(where, f"type '{value}' is not one of {names}."), field=field)
    return kind


def _by_id_or_name(db: Session, kind: TargetKind, ref: int | str) -> Target | None:
    if (isinstance(ref, int) and not 0 < ref <= MAX_ID) or (isinstance(ref, str) and is_count(ref)
                                                             and not 0 < int(ref) <= MAX_ID):
        return None
    if kind is TargetKind.user:
        user = db.get(User, ref) if isinstance(ref, int) else _person(db, ref)
        return Target(kind, user.id, user.handle) if user is not None and user.is_active else None
    if kind is TargetKind.team:
        team = db.get(Team, ref) if isinstance(ref, int) else accounts.find_team(db=db, name=ref)
        return Target(kind, team.id, team.slug) if team is not None else None
    if kind is TargetKind.schedule:
        try:
            schedule = schedules.get_schedule(db=db, ref=ref)
        except NotFound:
            return None
        return Target(kind, schedule.id, schedule.slug)
    policy = _policy_or_none(db, ref)
    return Target(kind, policy.id, policy.slug) if policy is not None else None


def _person(db: Session, who: str) -> User | None:
    try:
        return accounts.find_person(db=db, who=who)
    except (NotFound, ValidationFailed):
        return None


def find_target(*, db: Session, kind: object, ref: object, allowed: Collection[TargetKind] = STEP_KINDS,
                field: str = "targets", where: str = "") -> Target:
    """A target named by id, or by @handle/email (people) or slug (teams, schedules, policies).

    ``where`` starts the error message ("Step 2, target 1: "), so people know which one is wrong.
    """
    target_kind = _kind(kind, allowed, field, where)
    if isinstance(ref, bool) or not isinstance(ref, int | str) or (isinstance(ref, str) and not ref.strip()):
        how = "@handle or email" if target_kind is TargetKind.user else "slug"
        raise ValidationFailed(_say(where, f"name the {target_kind.value} by id or {how}."), field=field)
    found = _by_id_or_name(db, target_kind, ref.strip() if isinstance(ref, str) else ref)
    if found is None:
        hint = {TargetKind.user: "an @handle or email of someone in Warroom",
                TargetKind.team: "a team slug, e.g. customer-support",
                TargetKind.schedule: "a schedule slug (see `warroom oncall schedules`)",
                TargetKind.escalation: "an escalation policy slug (see `warroom oncall policies`)"}[target_kind]
        raise ValidationFailed(_say(where, f"no {target_kind.value} '{ref}'. Use {hint}."), field=field)
    return found


def names_of(*, db: Session, refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Handles and slugs of stored targets ({type, id} pairs): one query, whatever kinds they are."""
    wanted: dict[str, set[int]] = {}
    for kind, ref in refs:
        wanted.setdefault(kind, set()).add(int(ref))
    columns: dict[str, tuple[Any, Any]] = {
        TargetKind.user.value: (User.id, User.handle), TargetKind.team.value: (Team.id, Team.slug),
        TargetKind.schedule.value: (Schedule.id, Schedule.slug),
        TargetKind.escalation.value: (EscalationPolicy.id, EscalationPolicy.slug),
    }
    parts = [sa.select(sa.literal(kind).label("kind"), key.label("id"), name.label("name")).where(key.in_(ids))
             for kind, ids in sorted(wanted.items()) if kind in columns and ids
             for key, name in [columns[kind]]]
    if not parts:
        return {}
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return {(kind, int(i)): str(n) for kind, i, n in db.execute(query)}


# Validation -------------------------------------------------------------------------------------------


def valid_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or slug.isdigit():
        raise ValidationFailed(
            "A policy slug is 1-100 lowercase letters, digits and '-', starting with a letter or digit and not "
            "only digits (those are ids), e.g. engineering-default.", field="slug")
    return slug


def valid_name(name: str) -> str:
    text = " ".join(name.split())
    if not text:
        raise ValidationFailed("An escalation policy needs a name, e.g. Engineering default.", field="name")
    if len(text) > MAX_NAME:
        raise ValidationFailed(f"A policy name is at most {MAX_NAME} characters.", field="name")
    return text


def valid_repeat(repeat: int) -> int:
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
        raise ValidationFailed(f"repeat is how many more times the policy runs when nobody acknowledges: "
                               f"0 to {MAX_REPEAT}.", field="repeat")
    return repeat


def _valid_delay(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DELAY_MINUTES:
        raise ValidationFailed(f"{where}delay_minutes is 0 to {MAX_DELAY_MINUTES} (a day): how long to wait "
                               "for an acknowledgement before the next step.", field="steps")
    return value


def _valid_step(db: Session, number: int, step: object) -> StepSpec:
    where = f"Step {number}: "
    if not isinstance(step, Mapping) or not set(step) <= {"delay_minutes", "targets"} or "targets" not in step:
        raise ValidationFailed(f"{where}write each step as {STEP_EXAMPLE}.", field="steps")
    delay = _valid_delay(step.get("delay_minutes", 0), where)
    targets = step["targets"]
    if not isinstance(targets, list) or not 1 <= len(targets) <= MAX_TARGETS:
        raise ValidationFailed(f"{where}page 1 to {MAX_TARGETS} targets (people, schedules or teams).",
                               field="steps")
    found: dict[tuple[TargetKind, int], Target] = {}
    for index, item in enumerate(targets, start=1):
        here = f"Step {number}, target {index}: "
        if not isinstance(item, Mapping) or set(item) != {"type", "id"}:
            raise ValidationFailed(f"{here}write it as {{\"type\": \"user\", \"id\": \"@bob\"}} "
                                   "(type user, schedule or team).", field="steps")
        target = find_target(db=db, kind=item["type"], ref=item["id"], field="steps", where=here)
        found.setdefault((target.type, target.id), target)
    return StepSpec(delay, tuple(found.values()))


def valid_steps(*, db: Session, steps: object) -> list[StepSpec]:
    """Ordered steps, each ``{"delay_minutes": 0..1440, "targets": [{"type": …, "id": …}]}``, resolved."""
    if not isinstance(steps, Sequence) or isinstance(steps, str) or not 1 <= len(steps) <= MAX_STEPS:
        raise ValidationFailed(f"A policy has 1 to {MAX_STEPS} steps, in the order they page, e.g. "
                               f"[{STEP_EXAMPLE}].", field="steps")
    return [_valid_step(db, number, step) for number, step in enumerate(steps, start=1)]


def _one_per_team(db: Session, team: Team | None, policy_id: int | None) -> None:
    if team is None:
        return
    taken = db.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.team_id == team.id))
    if taken is not None and taken.id != policy_id:
        raise Conflict(f"Team {team.slug} already has escalation policy '{taken.slug}' (paging the team runs it); "
                       "change that one, or attach this one to another team.", field="team")


# Reading ----------------------------------------------------------------------------------------------


def _policy_or_none(db: Session, ref: int | str) -> EscalationPolicy | None:
    text = str(ref).strip().lower()
    if is_count(text):
        return db.get(EscalationPolicy, int(text)) if 0 < int(text) <= MAX_ID else None
    return db.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.slug == text))


def get_policy(*, db: Session, ref: int | str) -> EscalationPolicy:
    """A policy by id or slug."""
    policy = _policy_or_none(db, ref)
    if policy is None:
        raise NotFound(f"No escalation policy '{ref}'. See `warroom oncall policies` for their slugs.",
                       field="policy")
    return policy


def list_policies(*, db: Session) -> list[EscalationPolicy]:
    return list(db.scalars(sa.select(EscalationPolicy).order_by(EscalationPolicy.name, EscalationPolicy.id)))


def steps_of(*, db: Session, policies: Sequence[EscalationPolicy]) -> dict[int, list[EscalationStep]]:
    """The steps of several policies in one query, in order."""
    found: dict[int, list[EscalationStep]] = {p.id: [] for p in policies}
    if not found:
        return found
    query = (sa.select(EscalationStep).where(EscalationStep.policy_id.in_(list(found)))
             .order_by(EscalationStep.policy_id, EscalationStep.position))
    for step in db.scalars(query):
        found[step.policy_id].append(step)
    return found


def policies_paging(*, db: Session, kind: TargetKind, target_id: int) -> list[EscalationPolicy]:
    """Policies with a step that pages this target (to refuse removing what they page)."""
    policy_ids = [step.policy_id for step in db.scalars(sa.select(EscalationStep))
                  if any(t.get("type") == kind.value and int(t.get("id", 0)) == target_id for t in step.targets)]
    if not policy_ids:
        return []
    query = sa.select(EscalationPolicy).where(EscalationPolicy.id.in_(policy_ids)).order_by(EscalationPolicy.slug)
    return list(db.scalars(query))


def ensure_not_paged(*, db: Session, kind: TargetKind, target_id: int, name: str) -> None:
    """Refuse removing a schedule (or team) that a policy still pages: its steps would page nobody."""
    users = policies_paging(db=db, kind=kind, target_id=target_id)
    if users:
        slugs = ", ".join(p.slug for p in users)
        raise Conflict(f"{kind.value.capitalize()} {name} is paged by escalation policy {slugs}; take it out of "
                       "their steps first.", field=kind.value)


# Changes ----------------------------------------------------------------------------------------------


def _write_steps(db: Session, policy: EscalationPolicy, steps: Sequence[StepSpec]) -> None:
    db.execute(sa.delete(EscalationStep).where(EscalationStep.policy_id == policy.id))
    db.add_all([EscalationStep(policy_id=policy.id, position=position, delay_minutes=step.delay_minutes,
                               targets=[t.stored() for t in step.targets])
                for position, step in enumerate(steps)])
    db.flush()


def _audited_steps(steps: Sequence[StepSpec]) -> list[dict[str, Any]]:
    return [{"delay_minutes": s.delay_minutes, "targets": [t.label for t in s.targets]} for s in steps]


def create_policy(*, db: Session, actor: Actor, slug: str, name: str, steps: object, team: Team | None = None,
                  repeat: int = 0, description: str = "") -> EscalationPolicy:
    actor.require(AccessRole.admin)
    slug = valid_slug(slug)
    name = valid_name(name)
    repeat = valid_repeat(repeat)
    plan = valid_steps(db=db, steps=steps)
    if db.scalar(sa.select(EscalationPolicy.id).where(EscalationPolicy.slug == slug)) is not None:
        raise Conflict(f"Escalation policy '{slug}' already exists.", field="slug")
    _one_per_team(db, team, None)
    policy = EscalationPolicy(slug=slug, name=name, team_id=team.id if team else None, repeat=repeat,
                              description=description.strip(), created_at=actor.clock.now())
    db.add(policy)
    db.flush()
    _write_steps(db, policy, plan)
    audit.record(db=db, actor=actor, action="escalation_policy.create", target_type="escalation_policy",
                 target_id=policy.id, slug=slug, team=team.slug if team else None, repeat=repeat,
                 steps=_audited_steps(plan))
    return policy


def update_policy(*, db: Session, actor: Actor, policy: EscalationPolicy, name: str | _Keep = KEEP,
                  steps: object = KEEP, team: Team | _Keep | None = KEEP, repeat: int | _Keep = KEEP,
                  description: str | _Keep = KEEP) -> EscalationPolicy:
    """Change a policy; given steps replace all of its steps. Alerts escalating now follow the new steps."""
    actor.require(AccessRole.admin)
    new_name = policy.name if isinstance(name, _Keep) else valid_name(name)
    new_repeat = policy.repeat if isinstance(repeat, _Keep) else valid_repeat(repeat)
    plan = None if isinstance(steps, _Keep) else valid_steps(db=db, steps=steps)
    if not isinstance(team, _Keep):
        _one_per_team(db, team, policy.id)
    before = {"name": policy.name, "team_id": policy.team_id, "repeat": policy.repeat}
    policy.name, policy.repeat = new_name, new_repeat
    if not isinstance(team, _Keep):
        policy.team_id = team.id if team else None
    if not isinstance(description, _Keep):
        policy.description = description.strip()
    detail: dict[str, Any] = {"before": before,
                              "after": {"name": policy.name, "team_id": policy.team_id, "repeat": policy.repeat}}
    if plan is not None:
        _write_steps(db, policy, plan)
        detail["steps"] = _audited_steps(plan)
    audit.record(db=db, actor=actor, action="escalation_policy.update", target_type="escalation_policy",
                 target_id=policy.id, slug=policy.slug, **detail)
    return policy


def set_steps(*, db: Session, actor: Actor, policy: EscalationPolicy, steps: object) -> EscalationPolicy:
    """Replace a policy's ordered steps (and nothing else)."""
    return update_policy(db=db, actor=actor, policy=policy, steps=steps)


def remove_policy(*, db: Session, actor: Actor, policy: EscalationPolicy) -> None:
    """Remove a policy no open alert is escalating through (theirs would stop paging)."""
    actor.require(AccessRole.admin)
    query = (sa.select(Alert.id).where(Alert.escalation_policy_id == policy.id, Alert.status != AlertStatus.closed)
             .order_by(Alert.id).limit(5))
    open_alerts = list(db.scalars(query))
    if open_alerts:
        shown = ", ".join(f"#{i}" for i in open_alerts)
        raise Conflict(f"Escalation policy '{policy.slug}' is escalating open alerts ({shown}); close or reassign "
                       "them first.", field="policy")
    audit.record(db=db, actor=actor, action="escalation_policy.remove", target_type="escalation_policy",
                 target_id=policy.id, slug=policy.slug)
    db.execute(sa.delete(EscalationStep).where(EscalationStep.policy_id == policy.id))
    db.delete(policy)
    db.flush()
