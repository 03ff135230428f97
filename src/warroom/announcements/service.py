"""Post to the announcements feed and queue delivery to the configured outbound hooks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.announcements.models import Announcement
from warroom.core.actor import Actor
from warroom.engine import queue
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.live.broker import ANNOUNCEMENTS, mark

ANNOUNCE_JOB = "announce"
REFRESH_JOB = "announce_refresh"


def headline(incident: Incident) -> str:
    flags = []
    if incident.customer_impact:
        flags.append("customer impact")
    if incident.security:
        flags.append("security")
    if incident.suspected:
        flags.append("suspected")
    extra = f" ({', '.join(flags)})" if flags else ""
    return f"{incident.ref} [{incident.severity.value}] {incident.title}{extra}"


def announce(*, db: Session, incident: Incident, actor: Actor, kind: str, text: str) -> Announcement:
    announcement = Announcement(incident_id=incident.id, kind=kind, text=text, created_at=actor.clock.now())
    db.add(announcement)
    db.flush()
    queue.enqueue(db=db, kind=ANNOUNCE_JOB, payload={"announcement_id": announcement.id},
                  idempotency_key=f"announce-{announcement.id}", due_at=actor.clock.now())
    mark(db, ANNOUNCEMENTS)
    return announcement


def refresh(*, db: Session, incident: Incident, actor: Actor) -> None:
    """The incident changed in a way its copies outside Warroom show (title, summary, messenger, security flag)
    but that is no news for the feed: have the sinks that keep copies (chat rooms) bring them up to date."""
    queue.enqueue(db=db, kind=REFRESH_JOB, payload={"incident_id": incident.id},
                  idempotency_key=f"refresh-{incident.id}-{secrets.token_hex(8)}", due_at=actor.clock.now())


def list_announcements(*, db: Session, limit: int = 100, before_id: int | None = None) -> list[Announcement]:
    query = sa.select(Announcement).order_by(Announcement.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Announcement.id < before_id)
    return list(db.scalars(query))


@dataclass(frozen=True)
class FeedItem:
    """One line of the feed as a given person sees it: a private incident's line redacted for outsiders."""

    id: int
    incident_id: int
    kind: str
    text: str
    created_at: datetime
    redacted: bool


def feed(*, db: Session, viewer: Actor, limit: int = 100, before_id: int | None = None) -> list[FeedItem]:
    """The feed, newest first, as this viewer may read it (one query)."""
    shown = visibility.visible_to(viewer).label("shown")
    query = (sa.select(Announcement, shown).join(Incident, Incident.id == Announcement.incident_id)
             .order_by(Announcement.id.desc()).limit(limit))
    if before_id is not None:
        query = query.where(Announcement.id < before_id)
    return [
        FeedItem(a.id, a.incident_id, a.kind,
                 a.text if visible else visibility.redacted_line(a.kind, f"INC-{a.incident_id}"),
                 a.created_at, not visible)
        for a, visible in db.execute(query)
    ]
