"""Applying a plan: each object through its domain's own service, in one transaction the caller commits.

Order follows what refers to what: people, teams, schedules, escalation policies, integration keys, status pages,
templates, playbooks, announcement days; deletions (``--prune``) run afterwards, the other way round. A domain
error names the object's line in the file and rolls the whole transaction back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.announcement_days import service as days
from warroom.announcement_days.models import AnnouncementDay
from warroom.audit import service as audit
from warroom.config_as_code.document import Document, Path, shown
from warroom.config_as_code.planning import Action, Plan, Step
from warroom.config_as_code.snapshot import Record, stamp
from warroom.core.actor import Actor
from warroom.core.clock import as_utc
from warroom.core.errors import Conflict, NotFound, ValidationFailed, WarroomError
from warroom.core.outbound import OutboundPolicy
from warroom.notifications import service as notifications
from warroom.notifications.models import ContactMethod, NotificationRule
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.policies import TargetKind
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule
from warroom.playbooks import service as playbooks
from warroom.statuspage import service as pages
from warroom.statuspage.models import StatusPage


@dataclass(frozen=True)
class NewSecret:
    """An integration key made by the apply: its secret is shown this once."""

    kind: str
    name: str
    secret: str


@dataclass
class _Applier:
    db: Session
    actor: Actor
    outbound: OutboundPolicy
    prune: bool
    secrets: list[NewSecret] = field(default_factory=list)


def apply(*, db: Session, actor: Actor, plan: Plan, document: Document, outbound: OutboundPolicy) -> list[NewSecret]:
    """Make the database match the plan; returns the secrets of keys it made. Commits nothing."""
    actor.require(AccessRole.admin)
    applier = _Applier(db, actor, outbound, plan.prune)
    for step in plan.of(Action.create, Action.change):
        _run(document, step, applier, _WRITERS[step.section][step.action])
    for step in reversed(plan.of(Action.delete)):
        _run(document, step, applier, _DELETERS[step.section])
    db.flush()
    return applier.secrets


class _InPart(Exception):
    """A domain error about one part of an object (a schedule's second layer): its line is the part's."""

    def __init__(self, error: WarroomError, part: Path) -> None:
        super().__init__(error.message)
        self.error, self.part = error, part


@contextmanager
def _part(*part: str | int) -> Iterator[None]:
    try:
        yield
    except WarroomError as error:
        raise _InPart(error, part) from None


def _run(document: Document, step: Step, applier: _Applier, change: Writer) -> None:
    try:
        change(applier, step)
        # Each step looks up what it needs by key: objects of earlier steps need not stay in the session, where
        # every flush would look them over again (a 1,000-object file would flush in quadratic time).
        applier.db.flush()
        applier.db.expunge_all()
    except (WarroomError, _InPart) as failure:
        error, part = (failure.error, failure.part) if isinstance(failure, _InPart) else (failure, ())
        inside = f", {shown(part)}" if part else ""
        where = (f"line {document.line((*step.path, *part))} ({step.section} '{step.key}'{inside})" if step.path
                 else f"{step.section} '{step.key}'")
        raise type(error)(f"{where}: {error.message}", field=error.field, hint=error.hint) from None


# Lookups ----------------------------------------------------------------------------------------------------


def _user(db: Session, handle: str) -> User:
    user = db.scalar(sa.select(User).where(User.handle == handle))
    if user is None:
        raise NotFound(f"No user @{handle}.", field="handle")
    return user


def _team(db: Session, slug: str | None) -> Team | None:
    if slug is None:
        return None
    team = accounts.find_team(db=db, name=slug)
    if team is None:
        raise NotFound(f"No team '{slug}'. Add it under teams, or create it with `warroom teams create {slug}`.",
                       field="team")
    return team


def _moment(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text))


def _edge(text: str | None) -> datetime | None:
    return None if text is None else _moment(text)


# People -----------------------------------------------------------------------------------------------------


def _create_person(a: _Applier, step: Step) -> None:
    want = _want(step)
    user = accounts.create_user(db=a.db, actor=a.actor, handle=want["handle"], email=want["email"],
                                name=want["name"], access_role=AccessRole(want["access"]))
    _sync_methods(a, user, want["contact_methods"], prune=False)


def _change_person(a: _Applier, step: Step) -> None:
    want, have = _want(step), _have(step)
    user = _user(a.db, want["handle"])
    if (want["email"], want["name"]) != (have["email"], have["name"]):
        taken = a.db.scalar(sa.select(User.id).where(User.email == want["email"], User.id != user.id))
        if taken is not None:
            raise Conflict(f"Another user has the email {want['email']}.", field="email")
        user.email, user.name = want["email"], want["name"]
        audit.record(db=a.db, actor=a.actor, action="user.update", target_type="user", target_id=user.id,
                     email=user.email, name=user.name, via="config")
    if want["access"] != have["access"]:
        accounts.set_access_role(db=a.db, actor=a.actor, user=user, access_role=AccessRole(want["access"]))
    _sync_methods(a, user, want["contact_methods"], prune=a.prune)


def _sync_methods(a: _Applier, user: User, wanted: list[Record], *, prune: bool) -> None:
    held = {(m.kind.value, m.address.lower()): m for m in notifications.list_contact_methods(db=a.db, user=user)}
    keep: set[int] = set()
    for want in wanted:
        method = held.get((want["kind"], want["address"].lower()))
        if method is None:
            method = notifications.add_contact_method(db=a.db, actor=a.actor, user=user, kind=want["kind"],
                                                      address=want["address"], label=want["label"],
                                                      outbound=a.outbound)
        elif method.label != want["label"]:
            method.label = want["label"]
        keep.add(method.id)
        _sync_rules(a, user, method, want["notify_after_minutes"], prune=a.prune)
    if prune:
        for method in held.values():
            if method.id not in keep:
                notifications.remove_contact_method(db=a.db, actor=a.actor, method_id=method.id)


def _sync_rules(a: _Applier, user: User, method: ContactMethod, delays: list[int], *, prune: bool) -> None:
    rules = {r.delay_minutes: r for r in a.db.scalars(sa.select(NotificationRule)
                                                      .where(NotificationRule.contact_method_id == method.id))}
    for delay in delays:
        if delay not in rules:
            notifications.add_rule(db=a.db, actor=a.actor, user=user, contact_method_id=method.id,
                                   delay_minutes=delay)
    if prune:
        for delay, rule in rules.items():
            if delay not in delays:
                notifications.remove_rule(db=a.db, actor=a.actor, rule_id=rule.id)


# Teams ------------------------------------------------------------------------------------------------------


def _create_team(a: _Applier, step: Step) -> None:
    want = _want(step)
    team = accounts.create_team(db=a.db, actor=a.actor, slug=want["slug"], name=want["name"])
    for handle in want["members"]:
        accounts.add_member(db=a.db, actor=a.actor, team=team, user=_user(a.db, handle))


def _change_team(a: _Applier, step: Step) -> None:
    want = _want(step)
    team = _team(a.db, want["slug"])
    assert team is not None
    if team.name != want["name"]:
        team.name = want["name"]
        audit.record(db=a.db, actor=a.actor, action="team.update", target_type="team", target_id=team.id,
                     name=team.name)
    for handle in want["members"]:
        accounts.add_member(db=a.db, actor=a.actor, team=team, user=_user(a.db, handle))
    if a.prune:
        for member in accounts.team_members(db=a.db, team=team):
            if member.handle not in want["members"]:
                accounts.remove_member(db=a.db, actor=a.actor, team=team, user=member)


# Schedules --------------------------------------------------------------------------------------------------


def _create_schedule(a: _Applier, step: Step) -> None:
    want = _want(step)
    schedule = schedules.create_schedule(db=a.db, actor=a.actor, slug=want["slug"], name=want["name"],
                                         time_zone=want["time_zone"], team=_team(a.db, want["team"]),
                                         description=want["description"])
    _add_layers(a, schedule, want["layers"])
    _sync_overrides(a, schedule, want["overrides"], prune=False)


def _change_schedule(a: _Applier, step: Step) -> None:
    want, have = _want(step), _have(step)
    schedule = schedules.get_schedule(db=a.db, ref=want["slug"])
    fields = ("name", "time_zone", "team", "description")
    if any(want[f] != have[f] for f in fields):
        schedules.update_schedule(db=a.db, actor=a.actor, schedule=schedule, name=want["name"],
                                  time_zone=want["time_zone"], team=_team(a.db, want["team"]),
                                  description=want["description"])
    if want["layers"] != have["layers"]:
        for layer in schedules.list_layers(db=a.db, schedule=schedule):
            schedules.remove_layer(db=a.db, actor=a.actor, layer=layer)
        a.db.flush()
        _add_layers(a, schedule, want["layers"])
    _sync_overrides(a, schedule, want["overrides"], prune=a.prune)


def _add_layers(a: _Applier, schedule: Schedule, layers: list[Record]) -> None:
    for position, layer in enumerate(layers):
        with _part("layers", position):
            _add_layer(a, schedule, position, layer)


def _add_layer(a: _Applier, schedule: Schedule, position: int, layer: Record) -> None:
    schedules.add_layer(db=a.db, actor=a.actor, schedule=schedule, rotation=layer["rotation"],
                        handoff_local=layer["handoff"], participants=layer["participants"], name=layer["name"],
                        length_hours=layer["length_hours"], restrictions=layer["restrictions"],
                        position=position, starts_at=_edge(layer["starts_at"]), ends_at=_edge(layer["ends_at"]))


def _sync_overrides(a: _Applier, schedule: Schedule, wanted: list[Record], *, prune: bool) -> None:
    now = a.actor.clock.now()
    handles = schedules.handles_of
    held = {}
    for override in schedules.list_overrides(db=a.db, schedule=schedule, start=now):
        names = handles(db=a.db, user_ids=[i for i in (override.user_id, override.replaces_user_id) if i])
        replaces = override.replaces_user_id
        record = {"user": names.get(override.user_id), "replaces": names.get(replaces) if replaces else None,
                  "start": stamp(override.start_at, schedule.time_zone),
                  "end": stamp(override.end_at, schedule.time_zone)}
        held[tuple(sorted(record.items(), key=str))] = override
    wanted_keys = set()
    for want in wanted:
        key = tuple(sorted(want.items(), key=str))
        wanted_keys.add(key)
        if key not in held:
            schedules.add_override(db=a.db, actor=a.actor, schedule=schedule, user=want["user"],
                                   replaces=want["replaces"], start_at=_moment(want["start"]),
                                   end_at=_moment(want["end"]))
    if prune:
        for key, override in held.items():
            if key not in wanted_keys:
                schedules.remove_override(db=a.db, actor=a.actor, override=override)


def _delete_schedule(a: _Applier, step: Step) -> None:
    schedule = schedules.get_schedule(db=a.db, ref=step.key)
    policies.ensure_not_paged(db=a.db, kind=TargetKind.schedule, target_id=schedule.id, name=schedule.slug)
    schedules.remove_schedule(db=a.db, actor=a.actor, schedule=schedule)


# Escalation policies ----------------------------------------------------------------------------------------


def _steps(record: Record) -> list[dict[str, Any]]:
    return [{"delay_minutes": s["delay_minutes"],
             "targets": [{"type": kind, "id": f"@{name}" if kind == "user" else name}
                         for target in s["targets"] for kind, name in target.items()]}
            for s in record["steps"]]


def _create_policy(a: _Applier, step: Step) -> None:
    want = _want(step)
    policies.create_policy(db=a.db, actor=a.actor, slug=want["slug"], name=want["name"], steps=_steps(want),
                           team=_team(a.db, want["team"]), repeat=want["repeat"], description=want["description"])


def _change_policy(a: _Applier, step: Step) -> None:
    want, have = _want(step), _have(step)
    policy = policies.get_policy(db=a.db, ref=want["slug"])
    steps: object = _steps(want) if want["steps"] != have["steps"] else policies.KEEP
    policies.update_policy(db=a.db, actor=a.actor, policy=policy, name=want["name"], steps=steps,
                           team=_team(a.db, want["team"]), repeat=want["repeat"], description=want["description"])


def _delete_policy(a: _Applier, step: Step) -> None:
    policies.remove_policy(db=a.db, actor=a.actor, policy=policies.get_policy(db=a.db, ref=step.key))


# Integration keys -------------------------------------------------------------------------------------------


def _live_keys(a: _Applier, kind: str, name: str) -> list[IntegrationKey]:
    query = sa.select(IntegrationKey).where(IntegrationKey.kind == KeyKind(kind), IntegrationKey.name == name,
                                            IntegrationKey.revoked_at.is_(None))
    return list(a.db.scalars(query))


def _policy_of(a: _Applier, slug: str | None) -> Any:
    return None if slug is None else keys.find_policy(db=a.db, ref=slug)


def _create_key(a: _Applier, step: Step) -> None:
    want = _want(step)
    made = keys.create_key(db=a.db, actor=a.actor, name=want["name"], kind=keys.parse_kind(want["kind"]),
                           team=_team(a.db, want["team"]), escalation_policy=_policy_of(a, want["escalation_policy"]),
                           dedup_per_alert=want["dedup_per_alert"])
    a.secrets.append(NewSecret(want["kind"], made.key.name, made.secret))


def _change_key(a: _Applier, step: Step) -> None:
    want = _want(step)
    team, policy = _team(a.db, want["team"]), _policy_of(a, want["escalation_policy"])
    if want["dedup_per_alert"] and want["kind"] != KeyKind.alertmanager.value:
        raise ValidationFailed("dedup_per_alert applies to alertmanager keys only.", field="dedup_per_alert")
    for key in _live_keys(a, want["kind"], want["name"]):
        key.team_id = team.id if team else None
        key.escalation_policy_id = policy.id if policy else None
        key.dedup_per_alert = want["dedup_per_alert"]
        audit.record(db=a.db, actor=a.actor, action="integration_key.update", target_type="integration_key",
                     target_id=key.id, name=key.name, team=want["team"], escalation_policy=want["escalation_policy"],
                     dedup_per_alert=key.dedup_per_alert)


def _delete_key(a: _Applier, step: Step) -> None:
    have = _have(step)
    for key in _live_keys(a, have["kind"], have["name"]):
        keys.revoke_key(db=a.db, actor=a.actor, key_id=key.id)


# Status pages, templates, playbooks, announcement days ------------------------------------------------------


def _create_page(a: _Applier, step: Step) -> None:
    want = _want(step)
    page = pages.create_page(db=a.db, actor=a.actor, slug=want["slug"], name=want["name"],
                             description=want["description"], team=want["team"], listed=want["listed"])
    _sync_components(a, page, want)


def _change_page(a: _Applier, step: Step) -> None:
    want, have = _want(step), _have(step)
    page = pages.get_page(db=a.db, slug=want["slug"])
    changed = {f: want[f] for f in ("name", "description", "listed") if want[f] != have[f]}
    if want["team"] != have["team"]:
        changed["team"] = want["team"] or ""
    if changed:
        pages.change_page(db=a.db, actor=a.actor, page=page, **changed)
    _sync_components(a, page, want)


def _sync_components(a: _Applier, page: StatusPage, want: Record) -> None:
    groups = {g.name for g in pages.list_groups(db=a.db, page_id=page.id)}
    for name in want["groups"]:
        if name not in groups:
            pages.create_group(db=a.db, actor=a.actor, page=page, name=name)
    held = {c.name: c for c in pages.list_components(db=a.db, page_id=page.id)}
    group_names = {g.id: g.name for g in pages.list_groups(db=a.db, page_id=page.id)}
    for component in want["components"]:
        found = held.get(component["name"])
        if found is None:
            pages.create_component(db=a.db, actor=a.actor, page=page, name=component["name"],
                                   description=component["description"], group=component["group"])
        elif (found.description, group_names.get(found.group_id or 0)) != (component["description"],
                                                                          component["group"]):
            pages.change_component(db=a.db, actor=a.actor, page=page, component_id=found.id,
                                   description=component["description"], group=component["group"] or "")


def _save_template(a: _Applier, step: Step) -> None:
    want = _want(step)
    pages.save_template(db=a.db, actor=a.actor, status=want["status"], title=want["title"], body=want["body"])


def _reset_template(a: _Applier, step: Step) -> None:
    pages.reset_template(db=a.db, actor=a.actor, status=step.key)


def _save_playbook(a: _Applier, step: Step) -> None:
    want = _want(step)
    playbooks.save_playbook(db=a.db, actor=a.actor, slug=want["slug"], title=want["title"], body_md=want["body"],
                            services=want["services"], keywords=want["keywords"],
                            create=step.action is Action.create)


def _day_spec(want: Record) -> days.DaySpec:
    return days.DaySpec(title=want["title"], kind=want["kind"], time_zone=want["time_zone"], owner=want["owner"],
                        date=want["date"] or "", starts=want["starts"] or "", ends=want["ends"] or "",
                        reminder_minutes=want["reminder_minutes"], notes=want["notes"])


def _day_id(a: _Applier, record: Record) -> int:
    clean = days.clean_day(a.db, _day_spec(record))
    found = a.db.scalar(sa.select(AnnouncementDay.id).where(AnnouncementDay.title == clean.title,
                                                            AnnouncementDay.starts_at == clean.starts_at))
    if found is None:
        raise NotFound(f"No announcement day '{record['title']}'.", field="title")
    return int(found)


def _create_day(a: _Applier, step: Step) -> None:
    days.create_day(db=a.db, actor=a.actor, spec=_day_spec(_want(step)))


def _change_day(a: _Applier, step: Step) -> None:
    days.update_day(db=a.db, actor=a.actor, day_id=_day_id(a, _have(step)), spec=_day_spec(_want(step)))


def _delete_day(a: _Applier, step: Step) -> None:
    days.delete_day(db=a.db, actor=a.actor, day_id=_day_id(a, _have(step)))


def _want(step: Step) -> Record:
    assert step.want is not None
    return step.want


def _have(step: Step) -> Record:
    assert step.have is not None
    return step.have


Writer = Callable[[_Applier, Step], None]
_WRITERS: dict[str, dict[Action, Writer]] = {
    "people": {Action.create: _create_person, Action.change: _change_person},
    "teams": {Action.create: _create_team, Action.change: _change_team},
    "schedules": {Action.create: _create_schedule, Action.change: _change_schedule},
    "escalation_policies": {Action.create: _create_policy, Action.change: _change_policy},
    "integration_keys": {Action.create: _create_key, Action.change: _change_key},
    "status_pages": {Action.create: _create_page, Action.change: _change_page},
    "status_update_templates": {Action.create: _save_template, Action.change: _save_template},
    "playbooks": {Action.create: _save_playbook, Action.change: _save_playbook},
    "announcement_days": {Action.create: _create_day, Action.change: _change_day},
}
_DELETERS: dict[str, Writer] = {
    "schedules": _delete_schedule, "escalation_policies": _delete_policy, "integration_keys": _delete_key,
    "status_update_templates": _reset_template, "announcement_days": _delete_day,
}
