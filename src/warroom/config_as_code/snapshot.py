"""The database as the file's canonical records: every field present, in a stable order, by natural key.

Overrides and announcement days that have ended are history, not set-up: only those still to come (or running)
are part of the configuration. Deactivated people and revoked keys are left out.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import Membership, Team, User
from warroom.announcement_days.models import AnnouncementDay
from warroom.core.clock import as_utc
from warroom.notifications.models import ContactMethod, NotificationRule
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.keys.models import IntegrationKey
from warroom.oncall.schedules.models import RotationKind, Schedule, ScheduleLayer, ScheduleOverride
from warroom.playbooks.models import Playbook
from warroom.statuspage.models import Component, ComponentGroup, StatusPage, UpdateTemplate

Record = dict[str, Any]
Snapshot = dict[str, dict[str, Record]]


def stamp(moment: datetime, zone: str) -> str:
    """An aware time as the file writes it: in ``zone``, to the minute when it has no seconds."""
    local = as_utc(moment).astimezone(zoneinfo.ZoneInfo(zone))
    return local.isoformat(timespec="minutes" if local.second == 0 and local.microsecond == 0 else "seconds")


def key_name(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def day_key(record: Record) -> str:
    return f"{record['title']} @ {record['date'] or record['starts']}"


@dataclass
class Names:
    users: dict[int, str]
    teams: dict[int, str]
    schedules: dict[int, str]
    policies: dict[int, str]

    @classmethod
    def read(cls, db: Session) -> Names:
        def pairs(model: Any, column: Any) -> dict[int, str]:
            return {row[0]: row[1] for row in db.execute(sa.select(model.id, column))}
        return cls(pairs(User, User.handle), pairs(Team, Team.slug), pairs(Schedule, Schedule.slug),
                   pairs(EscalationPolicy, EscalationPolicy.slug))

    def team(self, team_id: int | None) -> str | None:
        return None if team_id is None else self.teams.get(team_id)

    def target(self, target: dict[str, Any]) -> dict[str, str]:
        kind = str(target.get("type"))
        table = {"user": self.users, "schedule": self.schedules, "team": self.teams}.get(kind, {})
        return {kind: table.get(int(target.get("id", 0)), f"#{target.get('id')}")}


def take(db: Session, now: datetime) -> Snapshot:
    """Every section, keyed by natural key."""
    names = Names.read(db)
    return {
        "people": {r["handle"]: r for r in _people(db)},
        "teams": {r["slug"]: r for r in _teams(db, names)},
        "schedules": {r["slug"]: r for r in _schedules(db, names, now)},
        "escalation_policies": {r["slug"]: r for r in _policies(db, names)},
        "integration_keys": {key_name(r["kind"], r["name"]): r for r in _keys(db, names)},
        "status_pages": {r["slug"]: r for r in _pages(db, names)},
        "status_update_templates": {r["status"]: r for r in _templates(db)},
        "playbooks": {r["slug"]: r for r in _playbooks(db)},
        "announcement_days": {day_key(r): r for r in _days(db, names, now)},
    }


def _people(db: Session) -> Iterable[Record]:
    rules: dict[int, list[int]] = defaultdict(list)
    for rule in db.scalars(sa.select(NotificationRule)):
        rules[rule.contact_method_id].append(rule.delay_minutes)
    methods: dict[int, list[Record]] = defaultdict(list)
    for method in db.scalars(sa.select(ContactMethod).order_by(ContactMethod.kind, ContactMethod.address)):
        methods[method.user_id].append({"kind": method.kind.value, "address": method.address,
                                        "label": method.label, "notify_after_minutes": sorted(rules[method.id])})
    for user in db.scalars(sa.select(User).where(User.is_active.is_(True)).order_by(User.handle)):
        yield {"handle": user.handle, "email": user.email, "name": user.name, "access": user.access_role.value,
               "contact_methods": methods[user.id]}


def _teams(db: Session, names: Names) -> Iterable[Record]:
    members: dict[int, list[str]] = defaultdict(list)
    query = (sa.select(Membership.team_id, User.handle).join(User, User.id == Membership.user_id)
             .where(User.is_active.is_(True)).order_by(User.handle))
    for team_id, handle in db.execute(query):
        members[team_id].append(handle)
    for team in db.scalars(sa.select(Team).order_by(Team.slug)):
        yield {"slug": team.slug, "name": team.name, "members": members[team.id]}


def layer_record(layer: ScheduleLayer, names: Names) -> Record:
    return {"name": layer.name, "rotation": layer.rotation.value,
            "length_hours": layer.length_hours if layer.rotation is RotationKind.custom else None,
            "handoff": layer.handoff_local,
            "participants": [names.users.get(i, f"#{i}") for i in layer.participants],
            "restrictions": [dict(r) for r in layer.restrictions],
            "starts_at": stamp(layer.starts_at, "UTC") if layer.starts_at else None,
            "ends_at": stamp(layer.ends_at, "UTC") if layer.ends_at else None}


def override_record(override: ScheduleOverride, zone: str, names: Names) -> Record:
    replaces = override.replaces_user_id
    return {"user": names.users.get(override.user_id, f"#{override.user_id}"),
            "replaces": None if replaces is None else names.users.get(replaces, f"#{replaces}"),
            "start": stamp(override.start_at, zone), "end": stamp(override.end_at, zone)}


def override_order(record: Record) -> tuple[str, str, str]:
    return (record["start"], record["end"], record["user"])


def _schedules(db: Session, names: Names, now: datetime) -> Iterable[Record]:
    layers: dict[int, list[ScheduleLayer]] = defaultdict(list)
    for layer in db.scalars(sa.select(ScheduleLayer).order_by(ScheduleLayer.position, ScheduleLayer.id)):
        layers[layer.schedule_id].append(layer)
    overrides: dict[int, list[ScheduleOverride]] = defaultdict(list)
    for override in db.scalars(sa.select(ScheduleOverride).where(ScheduleOverride.end_at > now)):
        overrides[override.schedule_id].append(override)
    for schedule in db.scalars(sa.select(Schedule).order_by(Schedule.slug)):
        covering = [override_record(o, schedule.time_zone, names) for o in overrides[schedule.id]]
        yield {"slug": schedule.slug, "name": schedule.name, "time_zone": schedule.time_zone,
               "team": names.team(schedule.team_id), "description": schedule.description,
               "layers": [layer_record(layer, names) for layer in layers[schedule.id]],
               "overrides": sorted(covering, key=override_order)}


def _policies(db: Session, names: Names) -> Iterable[Record]:
    steps: dict[int, list[EscalationStep]] = defaultdict(list)
    for step in db.scalars(sa.select(EscalationStep).order_by(EscalationStep.policy_id, EscalationStep.position)):
        steps[step.policy_id].append(step)
    for policy in db.scalars(sa.select(EscalationPolicy).order_by(EscalationPolicy.slug)):
        yield {"slug": policy.slug, "name": policy.name, "team": names.team(policy.team_id),
               "repeat": policy.repeat, "description": policy.description,
               "steps": [{"delay_minutes": s.delay_minutes, "targets": [names.target(t) for t in s.targets]}
                         for s in steps[policy.id]]}


def _keys(db: Session, names: Names) -> Iterable[Record]:
    query = (sa.select(IntegrationKey).where(IntegrationKey.revoked_at.is_(None))
             .order_by(IntegrationKey.kind, IntegrationKey.name, IntegrationKey.id))
    for key in db.scalars(query):
        policy = key.escalation_policy_id
        yield {"name": key.name, "kind": key.kind.value, "team": names.team(key.team_id),
               "escalation_policy": None if policy is None else names.policies.get(policy),
               "dedup_per_alert": key.dedup_per_alert}


def _pages(db: Session, names: Names) -> Iterable[Record]:
    groups: dict[int, list[ComponentGroup]] = defaultdict(list)
    for group in db.scalars(sa.select(ComponentGroup).order_by(ComponentGroup.position, ComponentGroup.id)):
        groups[group.page_id].append(group)
    components: dict[int, list[Component]] = defaultdict(list)
    for component in db.scalars(sa.select(Component).order_by(Component.position, Component.id)):
        components[component.page_id].append(component)
    for page in db.scalars(sa.select(StatusPage).order_by(StatusPage.slug)):
        group_names = {g.id: g.name for g in groups[page.id]}
        yield {"slug": page.slug, "name": page.name, "description": page.description,
               "team": names.team(page.editor_team_id), "listed": page.listed,
               "groups": [g.name for g in groups[page.id]],
               "components": [{"name": c.name, "description": c.description,
                               "group": group_names.get(c.group_id) if c.group_id else None}
                              for c in components[page.id]]}


def _templates(db: Session) -> Iterable[Record]:
    for template in db.scalars(sa.select(UpdateTemplate).order_by(UpdateTemplate.status)):
        yield {"status": template.status.value, "title": template.title, "body": template.body}


def _playbooks(db: Session) -> Iterable[Record]:
    for playbook in db.scalars(sa.select(Playbook).order_by(Playbook.slug)):
        yield {"slug": playbook.slug, "title": playbook.title, "services": sorted(playbook.services),
               "keywords": sorted(playbook.keywords), "body": playbook.body_md}


def _days(db: Session, names: Names, now: datetime) -> Iterable[Record]:
    query = sa.select(AnnouncementDay).where(AnnouncementDay.ends_at > now).order_by(AnnouncementDay.starts_at)
    for day in db.scalars(query):
        zone = zoneinfo.ZoneInfo(day.time_zone)
        start, end = as_utc(day.starts_at).astimezone(zone), as_utc(day.ends_at).astimezone(zone)
        yield {"title": day.title, "kind": day.kind.value, "time_zone": day.time_zone,
               "owner": names.users.get(day.owner_id, "") if day.owner_id else "",
               "date": start.date().isoformat() if day.all_day else None,
               "starts": None if day.all_day else start.strftime("%Y-%m-%dT%H:%M"),
               "ends": None if day.all_day else end.strftime("%Y-%m-%dT%H:%M"),
               "reminder_minutes": day.reminder_minutes, "notes": day.notes}
