"""What a new installation still lacks before its first incident, read from the database and the settings.

Each step is ticked by what exists (an admin, a team with members, a schedule, an escalation policy, a live
integration key) or by what is configured (mail, chat), never by hand: the list is always true. An admin may
dismiss it; that is recorded in the audit log, which is also what remembers it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, Membership, User
from warroom.audit import service as audit
from warroom.audit.models import AuditEntry
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.errors import PermissionDenied
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys.models import IntegrationKey
from warroom.oncall.schedules.models import Schedule

DISMISSED = "first_run.dismissed"


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    link: str | None  # the page that does it; None for a setting (an environment variable)
    how: str  # what to do there


@dataclass(frozen=True)
class FirstRun:
    steps: list[Step]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def complete(self) -> bool:
        return self.done == len(self.steps)


def _exists(db: Session, query: sa.Select[Any]) -> bool:
    return bool(db.scalar(sa.select(sa.exists(query))))


def _mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def checklist(*, db: Session, settings: Settings, chat_platforms: Collection[str]) -> FirstRun:
    """The steps in the order an admin takes them, each ticked from what is already there (``chat_platforms``:
    the names of the chat platforms configured)."""
    has = {
        "admin": _exists(db, sa.select(User.id).where(User.access_role == AccessRole.admin, User.is_active)),
        "team": _exists(db, sa.select(Membership.team_id)),
        "schedule": _exists(db, sa.select(Schedule.id)),
        "policy": _exists(db, sa.select(EscalationPolicy.id)),
        "key": _exists(db, sa.select(IntegrationKey.id).where(IntegrationKey.revoked_at.is_(None))),
    }
    return FirstRun([
        Step("admin", "A first admin", has["admin"], "/admin/users",
             "warroom users create <handle> --email <email> --access admin, then add people under Admin → People"),
        Step("teams", "Teams with their people", has["team"], "/admin/teams",
             "create a team and add its members: paging a team pages them"),
        Step("schedule", "An on-call schedule", has["schedule"], "/oncall#oc-schedules-h",
             "New schedule on the On call page: who is on call, in which time zone"),
        Step("escalation_policy", "An escalation policy", has["policy"], "/oncall#oc-policies-h",
             "warroom oncall policies, or POST /api/v1/escalation-policies: who is paged next when nobody "
             "acknowledges"),
        Step("integration_key", "An integration key for your monitoring", has["key"], "/admin/integrations",
             "a key per source (PagerDuty, Opsgenie, Alertmanager, heartbeat); send alerts with it"),
        Step("mail", "Mail", _mail_configured(settings), None,
             "set WARROOM_SMTP_HOST (and _PORT, _USERNAME, _PASSWORD, WARROOM_MAIL_FROM); until then pages by "
             "mail go to the log"),
        Step("chat", "Chat", bool(chat_platforms), None,
             "set WARROOM_SLACK_BOT_TOKEN (warroom slack manifest) or WARROOM_MATRIX_HOMESERVER and "
             "WARROOM_MATRIX_ACCESS_TOKEN: rooms and announcements go there too"),
    ])


def is_dismissed(*, db: Session) -> bool:
    return _exists(db, sa.select(AuditEntry.id).where(AuditEntry.action == DISMISSED))


def shown_to(*, db: Session, settings: Settings, actor: Actor, chat_platforms: Collection[str]) -> FirstRun | None:
    """The checklist for an admin of a real installation, until it is complete or dismissed; else None."""
    if settings.seed_demo or not actor.is_admin or is_dismissed(db=db):
        return None
    steps = checklist(db=db, settings=settings, chat_platforms=chat_platforms)
    return None if steps.complete else steps


def dismiss(*, db: Session, actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can dismiss the first-run checklist.")
    if not is_dismissed(db=db):
        audit.record(db=db, actor=actor, action=DISMISSED, target_type="installation", target_id="first-run")
