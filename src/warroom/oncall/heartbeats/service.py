"""Heartbeats: a monitor pings on a schedule; when the pings stop, an alert opens.

A heartbeat not pinged within its interval *expires*: the engine's ``expire_heartbeats`` manager marks it
and raises the alert "Heartbeat <name> expired" (alias ``heartbeat-<name>``) in one transaction. The
next ping closes that alert. Takes a session; commits nothing (except the manager, which is the engine's
own transaction per heartbeat). Configuration changes are audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, Team
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.db.engine import Database
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority
from warroom.oncall.heartbeats.models import Heartbeat

log = logging.getLogger("warroom.heartbeats")

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_INTERVAL = timedelta(days=365)
UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
SOURCE = "heartbeat"


def alias_of(name: str) -> str:
    return f"heartbeat-{name}"


def expired_message(heartbeat: Heartbeat) -> str:
    return heartbeat.alert_message or f"Heartbeat {heartbeat.name} expired"


def interval_seconds(interval: int, unit: str) -> int:
    """``interval`` minutes, hours or days, as seconds (1 minute to 365 days)."""
    if unit not in UNIT_SECONDS:
        raise ValidationFailed(f"intervalUnit '{unit}' is not one of minutes, hours, days.", field="intervalUnit")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValidationFailed("interval is a whole number, at least 1.", field="interval")
    seconds = interval * UNIT_SECONDS[unit]
    if seconds > MAX_INTERVAL.total_seconds():
        raise ValidationFailed("A heartbeat interval is at most 365 days.", field="interval")
    return seconds


def _valid_name(name: str) -> str:
    text = name.strip()
    if not text:
        raise ValidationFailed("A heartbeat needs a name, e.g. nightly-backup.", field="name")
    if len(text) > MAX_NAME or "/" in text:
        raise ValidationFailed(f"A heartbeat name is at most {MAX_NAME} characters, without '/'.", field="name")
    return text


def _valid_message(message: str) -> str:
    text = " ".join(message.split())
    if len(text) > alerts.MAX_MESSAGE:
        raise ValidationFailed(f"alertMessage is at most {alerts.MAX_MESSAGE} characters.", field="alertMessage")
    return text


def get_heartbeat(*, db: Session, name: str) -> Heartbeat:
    heartbeat = db.scalar(sa.select(Heartbeat).where(Heartbeat.name == name))
    if heartbeat is None:
        raise NotFound(f"Heartbeat '{name}' does not exist.", field="name")
    return heartbeat


def list_heartbeats(*, db: Session, team_id: int | None = None) -> list[Heartbeat]:
    query = sa.select(Heartbeat).order_by(Heartbeat.name)
    if team_id is not None:
        query = query.where(Heartbeat.team_id == team_id)
    return list(db.scalars(query))


def create_heartbeat(*, db: Session, actor: Actor, name: str, interval: int, enabled: bool,
                     description: str = "", team: Team | None = None, alert_message: str = "",
                     alert_priority: Priority = Priority.p3) -> Heartbeat:
    """Expect a ping every ``interval`` seconds (counted from creation until the first ping)."""
    actor.require(AccessRole.responder)
    name = _valid_name(name)
    if db.scalar(sa.select(Heartbeat.id).where(Heartbeat.name == name)) is not None:
        raise Conflict(f"Heartbeat '{name}' already exists.", field="name")
    heartbeat = Heartbeat(name=name, description=description[:MAX_DESCRIPTION], interval_seconds=interval,
                          enabled=enabled, team_id=team.id if team else None,
                          alert_message=_valid_message(alert_message), alert_priority=alert_priority.value,
                          last_ping_at=None, expired=False, created_at=actor.clock.now())
    db.add(heartbeat)
    db.flush()
    audit.record(db=db, actor=actor, action="heartbeat.create", target_type="heartbeat", target_id=heartbeat.id,
                 name=name, interval_seconds=interval, enabled=enabled, team=team.slug if team else None)
    return heartbeat


@dataclass(frozen=True)
class HeartbeatChange:
    """What a PATCH sends; None leaves a field as it is."""

    description: str | None = None
    interval: int | None = None
    enabled: bool | None = None
    team: Team | None = None
    alert_message: str | None = None
    alert_priority: Priority | None = None


def update_heartbeat(*, db: Session, actor: Actor, heartbeat: Heartbeat, change: HeartbeatChange) -> Heartbeat:
    actor.require(AccessRole.responder)
    message = None if change.alert_message is None else _valid_message(change.alert_message)
    if change.description is not None:
        heartbeat.description = change.description[:MAX_DESCRIPTION]
    if change.interval is not None:
        heartbeat.interval_seconds = change.interval
    if change.team is not None:
        heartbeat.team_id = change.team.id
    if message is not None:
        heartbeat.alert_message = message
    if change.alert_priority is not None:
        heartbeat.alert_priority = change.alert_priority.value
    if change.enabled is not None:
        _set_enabled(heartbeat, change.enabled, actor.clock.now())
    audit.record(db=db, actor=actor, action="heartbeat.update", target_type="heartbeat", target_id=heartbeat.id,
                 name=heartbeat.name, interval_seconds=heartbeat.interval_seconds, enabled=heartbeat.enabled)
    return heartbeat


def set_enabled(*, db: Session, actor: Actor, heartbeat: Heartbeat, enabled: bool) -> Heartbeat:
    actor.require(AccessRole.responder)
    if heartbeat.enabled != enabled:
        _set_enabled(heartbeat, enabled, actor.clock.now())
        audit.record(db=db, actor=actor, action="heartbeat.enable" if enabled else "heartbeat.disable",
                     target_type="heartbeat", target_id=heartbeat.id, name=heartbeat.name)
    return heartbeat


def _set_enabled(heartbeat: Heartbeat, enabled: bool, now: datetime) -> None:
    if enabled and not heartbeat.enabled and not heartbeat.expired:
        # A heartbeat switched on is given a full interval before it can expire (no stale "last ping").
        # One that had expired stays expired, with its alert open, until a ping closes both.
        heartbeat.last_ping_at = now
    heartbeat.enabled = enabled


def delete_heartbeat(*, db: Session, actor: Actor, heartbeat: Heartbeat) -> None:
    actor.require(AccessRole.responder)
    audit.record(db=db, actor=actor, action="heartbeat.delete", target_type="heartbeat", target_id=heartbeat.id,
                 name=heartbeat.name)
    db.delete(heartbeat)


@dataclass(frozen=True)
class Pinged:
    """The heartbeat a ping reached: which one, and whose."""

    id: int
    team_id: int | None


# A ping sets the last ping time and answers what the caller checks, in one statement built once (on PostgreSQL
# the UPDATE locks the row, as reading it FOR UPDATE did). No ORM row is loaded, so nothing is flushed for it.
_PING = (sa.update(Heartbeat).where(Heartbeat.name == sa.bindparam("heartbeat_name"))
         .values(last_ping_at=sa.bindparam("pinged_at"))
         .returning(Heartbeat.id, Heartbeat.team_id, Heartbeat.expired)
         .execution_options(synchronize_session=False))
_REVIVE = (sa.update(Heartbeat).where(Heartbeat.id == sa.bindparam("heartbeat_id")).values(expired=False)
           .execution_options(synchronize_session=False))


def ping(*, db: Session, actor: Actor, name: str) -> Pinged:
    """A sign of life. After an expiry it closes the expiry alert, in the same transaction."""
    found = db.connection().execute(_PING, {"heartbeat_name": name, "pinged_at": actor.clock.now()}).first()
    if found is None:
        raise NotFound(f"Heartbeat '{name}' does not exist. Create it first (POST /v2/heartbeats).", field="name")
    heartbeat_id, team_id, expired = found
    if expired:
        db.connection().execute(_REVIVE, {"heartbeat_id": heartbeat_id})
        _close_expiry_alert(db, actor, name)
    return Pinged(heartbeat_id, team_id)


def _close_expiry_alert(db: Session, actor: Actor, name: str) -> None:
    alert_id = db.scalar(sa.select(Alert.id).where(
        Alert.dedup_scope == "", Alert.alias == alias_of(name), Alert.status != AlertStatus.closed))
    if alert_id is not None:
        alerts.close(db=db, actor=actor, alert_id=alert_id, note="heartbeat ping received")


# The engine's manager ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """A clock stopped at the engine tick's time, so everything one tick writes carries that time."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def due_to_expire(*, db: Session, now: datetime) -> list[tuple[int, datetime | None]]:
    """Enabled heartbeats whose interval has passed since their last ping (or creation): (id, last ping)."""
    rows = db.execute(sa.select(Heartbeat.id, Heartbeat.last_ping_at, Heartbeat.created_at,
                                Heartbeat.interval_seconds)
                      .where(Heartbeat.enabled.is_(True), Heartbeat.expired.is_(False)))
    return [(hb_id, last) for hb_id, last, created, interval in rows
            if (last or created) + timedelta(seconds=interval) <= now]


def expire(*, db: Session, actor: Actor, heartbeat_id: int, last_ping_at: datetime | None) -> bool:
    """Mark one heartbeat expired and raise its alert, unless a ping or another engine got there first."""
    seen = (Heartbeat.last_ping_at.is_(None) if last_ping_at is None
            else Heartbeat.last_ping_at == last_ping_at)
    marked = db.execute(sa.update(Heartbeat).where(
        Heartbeat.id == heartbeat_id, Heartbeat.expired.is_(False), Heartbeat.enabled.is_(True), seen)
        .values(expired=True))
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        return False
    heartbeat = db.get(Heartbeat, heartbeat_id)
    assert heartbeat is not None
    last = heartbeat.last_ping_at.isoformat() if heartbeat.last_ping_at else None
    spec = alerts.AlertSpec(
        message=expired_message(heartbeat), alias=alias_of(heartbeat.name),
        description=(f"No ping from heartbeat '{heartbeat.name}' for {timedelta(seconds=heartbeat.interval_seconds)}"
                     f" (last ping: {last or 'never'}). {heartbeat.description}").strip(),
        priority=Priority(heartbeat.alert_priority), source=SOURCE, entity=heartbeat.name, tags=["heartbeat"],
        details={"heartbeat": heartbeat.name, "interval_seconds": heartbeat.interval_seconds, "last_ping_at": last},
        team_id=heartbeat.team_id)
    alerts.raise_alert(db=db, actor=actor, spec=spec)
    return True


def expire_heartbeats(database: Database, now: datetime) -> None:
    """Engine manager: expire every overdue heartbeat, each in its own transaction (idempotent)."""
    with database.reading() as db:
        due = due_to_expire(db=db, now=now)
    actor = Actor.system(_At(now))
    for heartbeat_id, last_ping_at in due:
        with database.writing() as db:
            if expire(db=db, actor=actor, heartbeat_id=heartbeat_id, last_ping_at=last_ping_at):
                log.info("heartbeat #%s expired; alert raised", heartbeat_id)
