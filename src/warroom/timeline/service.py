"""Write and read the incident timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.incidents.models import Incident
from warroom.live.broker import incident_channel, mark
from warroom.timeline.models import EntryKind, TimelineEntry


def add_entry(
    *,
    db: Session,
    incident: Incident,
    actor: Actor,
    kind: EntryKind,
    body: str = "",
    **data: Any,
) -> TimelineEntry:
    """Every state change calls this inside its own transaction (principle 1)."""
    now = actor.clock.now()
    entry = TimelineEntry(
        incident_id=incident.id,
        kind=kind,
        actor_id=actor.user_id,
        body=body,
        data=data,
        created_at=now,
    )
    db.add(entry)
    incident.updated_at = now
    mark(db, incident_channel(incident.id))
    return entry


@dataclass(frozen=True)
class EntryView:
    id: int
    kind: EntryKind
    body: str
    data: dict[str, Any]
    pinned: bool
    created_at: datetime
    actor_handle: str | None
    actor_name: str | None


def list_entries(
    *,
    db: Session,
    incident_id: int,
    after_id: int | None = None,
    before_id: int | None = None,
    limit: int = 200,
    pinned_only: bool = False,
) -> list[EntryView]:
    """Entries in time order. ``before_id`` pages back through history, newest page first."""
    query = (
        sa.select(TimelineEntry, User.handle, User.name)
        .outerjoin(User, User.id == TimelineEntry.actor_id)
        .where(TimelineEntry.incident_id == incident_id)
    )
    if after_id is not None:
        query = query.where(TimelineEntry.id > after_id)
    if before_id is not None:
        query = query.where(TimelineEntry.id < before_id)
    if pinned_only:
        query = query.where(TimelineEntry.pinned.is_(True))
    if after_id is not None:
        query = query.order_by(TimelineEntry.id.asc()).limit(limit)
        rows = list(db.execute(query))
    else:
        query = query.order_by(TimelineEntry.id.desc()).limit(limit)
        rows = list(reversed(list(db.execute(query))))
    return [
        EntryView(e.id, e.kind, e.body, e.data, e.pinned, e.created_at, handle, name)
        for e, handle, name in rows
    ]


def count_entries(*, db: Session, incident_id: int) -> int:
    query = sa.select(sa.func.count()).where(TimelineEntry.incident_id == incident_id)
    return int(db.scalar(query) or 0)


def get_entry(*, db: Session, incident_id: int, entry_id: int) -> TimelineEntry:
    entry = db.get(TimelineEntry, entry_id)
    if entry is None or entry.incident_id != incident_id:
        raise NotFound(f"No timeline entry #{entry_id} in INC-{incident_id}.")
    return entry
