"""What the importer tests read back: who is on call, a policy's steps, a person's contacts and rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from warroom.accounts.models import User
from warroom.importers.core import ImportReport
from warroom.importers.run import Source, Where, import_into, read
from warroom.notifications.models import ContactMethod, NotificationRule
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules import service as schedules
from warroom.runtime import Runtime

from ..factories import Factory


def run(runtime: Runtime, factory: Factory, source: Source, *, url: str = "", key: str = "",
        folder: Path | None = None, dry_run: bool = False) -> ImportReport:
    data = read(source, Where(folder=folder, base_url=url, key=key), runtime.clock.now())
    return import_into(runtime.database, source, data, actor=factory.system, dry_run=dry_run)


def on_call(runtime: Runtime, slug: str, when: str) -> list[str]:
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref=slug)
        at = datetime.fromisoformat(when).astimezone(UTC)
        return [u.handle for u in schedules.who_is_on_call(db=db, schedule=schedule, at=at)]


def steps(runtime: Runtime, slug: str) -> tuple[EscalationPolicy, list[tuple[int, list[tuple[str, Any]]]]]:
    """The policy and its steps as (delay, [(type, handle or schedule slug or team id)])."""
    with runtime.database.reading() as db:
        policy = db.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.slug == slug))
        assert policy is not None, slug
        rows = db.scalars(sa.select(EscalationStep).where(EscalationStep.policy_id == policy.id)
                          .order_by(EscalationStep.position))
        handles = {u.id: u.handle for u in db.scalars(sa.select(User))}
        slugs = {s.id: s.slug for s in schedules.list_schedules(db=db)}
        shown = [(s.delay_minutes, [(t["type"], handles.get(t["id"]) if t["type"] == "user" else
                                     slugs.get(t["id"]) if t["type"] == "schedule" else t["id"])
                                    for t in s.targets]) for s in rows]
    return policy, shown


def reach(runtime: Runtime, handle: str) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """A person's contact methods (kind, address) and notification rules (kind, delay)."""
    with runtime.database.reading() as db:
        user = db.scalar(sa.select(User).where(User.handle == handle))
        assert user is not None
        methods = {m.id: m for m in db.scalars(sa.select(ContactMethod).where(ContactMethod.user_id == user.id))}
        rules = db.scalars(sa.select(NotificationRule).where(NotificationRule.user_id == user.id))
        return (sorted((m.kind.value, m.address) for m in methods.values()),
                sorted((methods[r.contact_method_id].kind.value, r.delay_minutes) for r in rules))
