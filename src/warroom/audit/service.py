"""Record every mutation in the audit log, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.audit.models import AuditEntry
from warroom.core.actor import Actor


def record(
    *, db: Session, actor: Actor, action: str, target_type: str, target_id: object, **detail: Any
) -> AuditEntry:
    entry = AuditEntry(
        at=actor.clock.now(),
        actor_id=actor.user_id,
        via=actor.via,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail,
    )
    db.add(entry)
    return entry


def list_entries(*, db: Session, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.scalars(query))
