"""Secret, revocable calendar feed URLs, one per person and one per schedule, for calendar apps to subscribe to.

A feed URL carries no API token: it is ``/calendars/<kind>/<id>/<secret>.ics``, the secret an HMAC of the kind,
the id and the feed's nonce under the server's key. Nothing secret is stored, so a database backup reveals no
feed; "new URL" stores a fresh nonce and every earlier URL of that feed is refused from then on. The feed shows
who is on call when, on which schedule: nothing of any incident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import NotFound, PermissionDenied
from warroom.oncall.schedules.models import CalendarFeed, Schedule

USER, SCHEDULE = "users", "schedules"
KINDS = (USER, SCHEDULE)
SECRET_CHARS = 32  # of base64url: 192 bits
GONE = ("This calendar link is unknown, or was replaced by a new one. Copy the current link from Warroom: your "
        "profile for your shifts, the schedule's page for a schedule.")


@dataclass(frozen=True)
class Feed:
    kind: str
    owner_id: int
    nonce: str

    def path(self, key: str) -> str:
        return f"/calendars/{self.kind}/{self.owner_id}/{_secret(key, self)}.ics"


def _secret(key: str, feed: Feed) -> str:
    digest = hmac.new(key.encode(), f"calendar-feed:{feed.kind}:{feed.owner_id}:{feed.nonce}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SECRET_CHARS]


def _row(db: Session, kind: str, owner_id: int) -> CalendarFeed | None:
    column = CalendarFeed.user_id if kind == USER else CalendarFeed.schedule_id
    return db.scalar(sa.select(CalendarFeed).where(column == owner_id))


def feed_of(*, db: Session, kind: str, owner_id: int) -> Feed:
    row = _row(db, kind, owner_id)
    return Feed(kind, owner_id, row.nonce if row is not None else "")


def user_feed_url(*, db: Session, user: User, key: str, base_url: str) -> str:
    return base_url.rstrip("/") + feed_of(db=db, kind=USER, owner_id=user.id).path(key)


def schedule_feed_url(*, db: Session, schedule: Schedule, key: str, base_url: str) -> str:
    return base_url.rstrip("/") + feed_of(db=db, kind=SCHEDULE, owner_id=schedule.id).path(key)


def open_feed(*, db: Session, kind: str, owner_id: str, secret: str, key: str) -> User | Schedule:
    """The person or schedule whose feed URL this is; NotFound (saying where the current link is) otherwise."""
    if kind not in KINDS or not owner_id.isascii() or not owner_id.isdigit() or len(owner_id) > 18:
        raise NotFound(GONE)
    feed = feed_of(db=db, kind=kind, owner_id=int(owner_id))
    if not hmac.compare_digest(_secret(key, feed).encode(), secret.encode()):
        raise NotFound(GONE)
    owner: User | Schedule | None = (db.get(User, feed.owner_id) if kind == USER
                                     else db.get(Schedule, feed.owner_id))
    if owner is None or (isinstance(owner, User) and not owner.is_active):
        raise NotFound(GONE)
    return owner


def renew_user_feed(*, db: Session, actor: Actor, user: User) -> None:
    """A new URL for ``user``'s shifts; the old one is refused from now on. The person, or an admin."""
    if actor.user_id != user.id and not actor.is_admin:
        raise PermissionDenied(f"Only @{user.handle} or an admin makes a new calendar URL for @{user.handle}.")
    _renew(db, actor, USER, user.id)
    audit.record(db=db, actor=actor, action="calendar_feed.renew", target_type="user", target_id=user.handle)


def renew_schedule_feed(*, db: Session, actor: Actor, schedule: Schedule) -> None:
    """A new URL for the schedule's feed; the old one is refused from now on. Responders and admins."""
    actor.require(AccessRole.responder)
    _renew(db, actor, SCHEDULE, schedule.id)
    audit.record(db=db, actor=actor, action="calendar_feed.renew", target_type="schedule", target_id=schedule.slug)


def _renew(db: Session, actor: Actor, kind: str, owner_id: int) -> None:
    row = _row(db, kind, owner_id)
    if row is None:
        try:
            with db.begin_nested():  # two first renewals at once: the second updates the row the first made
                row = CalendarFeed(user_id=owner_id if kind == USER else None,
                                   schedule_id=owner_id if kind == SCHEDULE else None, nonce="",
                                   renewed_at=actor.clock.now())
                db.add(row)
        except IntegrityError:
            row = _row(db, kind, owner_id)
            assert row is not None
    row.nonce = secrets.token_hex(16)
    row.renewed_at = actor.clock.now()
    row.renewed_by_id = actor.user_id
