"""Incident roles: who holds them now. History lives in the timeline."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.errors import ValidationFailed
from warroom.roles.models import LEAD, MESSENGER, RoleAssignment

ROLE_RE = re.compile(r"^[a-z][a-z0-9 _-]{0,63}$")


def clean_role_name(name: str) -> str:
    role = " ".join(name.strip().lower().split())
    if role in ("incident lead", "incident-lead"):
        return LEAD
    if not ROLE_RE.match(role):
        raise ValidationFailed("A role name is letters, digits, spaces, '-' or '_' (e.g. 'scribe').",
                               field="role")
    return role


def holders(*, db: Session, incident_id: int) -> list[tuple[RoleAssignment, User]]:
    query = (sa.select(RoleAssignment, User).join(User, User.id == RoleAssignment.user_id)
             .where(RoleAssignment.incident_id == incident_id).order_by(RoleAssignment.id))
    return [(a, u) for a, u in db.execute(query)]


_HOLDER_HANDLE = (sa.select(User.handle).join(RoleAssignment, RoleAssignment.user_id == User.id)
                  .where(RoleAssignment.incident_id == sa.bindparam("incident_id"),
                         RoleAssignment.role == sa.bindparam("role"))
                  .order_by(RoleAssignment.id).limit(1))


def holder_handle(*, db: Session, incident_id: int, role: str) -> str | None:
    """The handle of whoever holds ``role`` on the incident (one short query, for answers that name them)."""
    handle: str | None = db.scalar(_HOLDER_HANDLE, {"incident_id": incident_id, "role": role})
    return handle


def current(*, db: Session, incident_id: int, role: str) -> RoleAssignment | None:
    return db.scalar(sa.select(RoleAssignment).where(
        RoleAssignment.incident_id == incident_id, RoleAssignment.role == role))


def role_label(role: str) -> str:
    return {LEAD: "incident lead", MESSENGER: "messenger"}.get(role, role)
