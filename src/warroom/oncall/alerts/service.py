"""Alerts: raise (deduplicated on a key while open), acknowledge, unacknowledge, snooze, note, close.

Takes a session; commits nothing. Escalation is started in the same transaction that opens an alert
(a job row), so an alert that is stored is always an alert that will page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.audit.models import AuditEntry
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.db.pending import flush_unless_appended
from warroom.live.broker import mark
from warroom.oncall.alerts import privacy, routing

# The alert service offers these with its own changes (escalation takes them from events, below both).
from warroom.oncall.alerts.events import MAX_ID
from warroom.oncall.alerts.events import lock_alert as lock_alert
from warroom.oncall.alerts.events import record_event as record_event
from warroom.oncall.alerts.models import Alert, AlertEvent, AlertRequest, AlertStatus, Priority
from warroom.oncall.escalation import service as escalation

MAX_MESSAGE = 130
MAX_ALIAS = 512
MAX_DESCRIPTION = 15_000
MAX_TAGS = 20
MAX_SNOOZE = timedelta(days=7)
TINY_RE = re.compile(r"^(?:#|alert-?)?(\d{1,12})$", re.IGNORECASE)


ALERTS = "alerts"


@dataclass
class AlertSpec:
    """What an alert says. Every door (UI, API, commands, integrations) builds one of these."""

    message: str
    alias: str = ""
    description: str = ""
    priority: Priority = Priority.p3
    source: str = ""
    entity: str = ""
    tags: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    responders: list[dict[str, Any]] = field(default_factory=list)
    # Responders the sender named that Warroom does not know (routing.unresolved shapes): kept and warned about.
    unresolved_responders: list[dict[str, Any]] = field(default_factory=list)
    team_id: int | None = None
    escalation_policy_id: int | None = None
    integration_key_id: int | None = None
    incident_id: int | None = None
    dedup_scope: str = ""


@dataclass(frozen=True)
class Raised:
    alert_id: int
    created: bool
    count: int
    # With ``shown=True``: the open alert's (message, description, details) as stored before this occurrence.
    shown: tuple[str, str, dict[str, Any] | None] | None = None


def parse_priority(value: str) -> Priority:
    try:
        return Priority(value.strip().upper())
    except ValueError:
        raise ValidationFailed(f"Unknown priority '{value}'. Use P1 (critical) to P5 (informational).",
                               field="priority") from None


def clean(spec: AlertSpec) -> AlertSpec:
    message = " ".join(spec.message.split())
    if not message:
        raise ValidationFailed("An alert needs a message saying what is wrong.", field="message")
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    alias = spec.alias.strip() or uuid.uuid4().hex
    if len(alias) > MAX_ALIAS:
        raise ValidationFailed(f"The alias (dedup key) is longer than {MAX_ALIAS} characters.", field="alias")
    if len(spec.tags) > MAX_TAGS:
        raise ValidationFailed(f"At most {MAX_TAGS} tags.", field="tags")
    spec.message = message
    spec.alias = alias
    spec.description = spec.description[:MAX_DESCRIPTION]
    spec.tags = sorted({t.strip()[:100] for t in spec.tags if t.strip()})
    return spec


def raise_alert(*, db: Session, actor: Actor, spec: AlertSpec, shown: bool = False) -> Raised:
    """Open a new alert, or count one more occurrence of the open alert with the same key.

    One statement decides, so concurrent events for one key make one alert (INSERT … ON CONFLICT on the
    partial unique index over open aliases). ``shown``: the same statement also returns the alert's text, for a
    caller that updates an open alert's text from a repeat (one statement instead of a second read).
    """
    named = bool(spec.alias.strip())
    spec = clean(spec)
    now = actor.clock.now()
    if named and _seen_lately(spec):
        repeated = _count_repeat(db, spec, now, shown)
        if repeated is not None:
            return repeated
    caught = _catch_all(db, spec)
    step, round_ = escalation.position_after_first_step(db, spec)
    values = {
        "alias": spec.alias, "dedup_scope": spec.dedup_scope, "status": AlertStatus.open.value,
        "message": spec.message, "description": spec.description, "priority": spec.priority.value,
        "source": spec.source[:512], "entity": spec.entity[:512], "tags": spec.tags, "details": spec.details,
        "responders": spec.responders, "unresolved_responders": spec.unresolved_responders,
        "unrouted": bool(spec.unresolved_responders) or caught is not None, "team_id": spec.team_id,
        "escalation_policy_id": spec.escalation_policy_id, "integration_key_id": spec.integration_key_id,
        "incident_id": spec.incident_id, "count": 1, "created_at": now, "updated_at": now,
        "last_occurred_at": now, "escalation_step": step, "escalation_round": round_, "escalation_generation": 0,
    }
    connection = db.connection()
    upsert = _upsert_statement(connection.dialect.name, tuple(values), shown)
    row = connection.execute(upsert, {f"new_{name}": value for name, value in values.items()}).one()
    alert_id, count = row[0], row[1]
    created = count == 1
    if created:
        _event(db, actor, alert_id, "created", f"Alert opened: {spec.message}", source=spec.source,
               priority=spec.priority.value)
        _warn_unrouted(db, actor, alert_id, spec, caught)
        _first_step(db, actor, now, OpenedAlert(alert_id, spec.message, spec.priority, spec.responders,
                                                spec.team_id, spec.escalation_policy_id, spec.incident_id),
                    written=(step, round_))
        mark(db, ALERTS)
    return Raised(alert_id, created, count, (row[2], row[3], row[4]) if shown else None)


# A repeat of an open alert, counted by a statement of five values: the upsert below, whose insert binds every
# column of a new alert (JSON and times included) only to be told the alert is open, was most of a repeat's cost.
# The upsert still decides whenever this finds nothing, so two first events for one key still make one alert.
_TABLE = cast(sa.Table, Alert.__table__)
_NOW = sa.bindparam("repeat_at", type_=_TABLE.c.updated_at.type)
_REPEAT = (sa.update(_TABLE)
           .where(_TABLE.c.dedup_scope == sa.bindparam("repeat_scope"),
                  _TABLE.c.alias == sa.bindparam("repeat_alias"),
                  sa.text("status != 'closed'"))  # as the unique index says it, so the index is used
           .values(count=_TABLE.c.count + 1, last_occurred_at=_NOW, updated_at=_NOW))
_REPEATS = {False: _REPEAT.returning(_TABLE.c.id, _TABLE.c.count),
            True: _REPEAT.returning(_TABLE.c.id, _TABLE.c.count, _TABLE.c.message, _TABLE.c.description,
                                    _TABLE.c.details)}


# Keys this process raised lately. A repeat is likeliest for them, so they try the short count first; any other
# key goes straight to the upsert, which decides for every key (it counts a repeat it finds as well): a wrong
# guess costs a statement, never the outcome. A new alert so skips an UPDATE that would find nothing. Bounded:
# when full, every key is forgotten at once (each costs one upsert more the next time it comes).
_seen: set[tuple[str, str]] = set()
SEEN_KEYS = 100_000


def _seen_lately(spec: AlertSpec) -> bool:
    key = (spec.dedup_scope, spec.alias)
    if key in _seen:
        return True
    if len(_seen) >= SEEN_KEYS:
        _seen.clear()
    _seen.add(key)
    return False


def forget_seen_keys() -> None:
    """As a process that never raised any key (for tests: another process's keys are unknown here)."""
    _seen.clear()


def _count_repeat(db: Session, spec: AlertSpec, now: datetime, shown: bool) -> Raised | None:
    """One more occurrence of the open alert with this key, if there is one."""
    row = db.connection().execute(_REPEATS[shown], {"repeat_scope": spec.dedup_scope, "repeat_alias": spec.alias,
                                                    "repeat_at": now}).first()
    if row is None:
        return None
    return Raised(row[0], False, row[1], (row[2], row[3], row[4]) if shown else None)


def _catch_all(db: Session, spec: AlertSpec) -> routing.Route | None:
    """Nothing routes the alert (no responder Warroom knows, no policy, no team): it pages the catch-all."""
    if spec.responders or spec.escalation_policy_id or spec.team_id:
        return None
    caught = routing.catch_all(db)
    spec.responders, spec.escalation_policy_id = list(caught.responders), caught.escalation_policy_id
    return caught


def _warn_unrouted(db: Session, actor: Actor, alert_id: int, spec: AlertSpec, caught: routing.Route | None) -> None:
    """A warning in the new alert's timeline for each responder Warroom does not know, or for nothing to page."""
    if not spec.unresolved_responders and caught is None:
        return
    route = caught.label if caught is not None else routing.label(
        db, responders=spec.responders, escalation_policy_id=spec.escalation_policy_id, team_id=spec.team_id)
    system = Actor.system(actor.clock)
    for named in spec.unresolved_responders:
        _event(db, system, alert_id, "unresolved_responder",
               f"Responder {routing.responder_label(named)} is not in Warroom; paged {route} instead",
               responder=named)
    if not spec.unresolved_responders:
        _event(db, system, alert_id, "catch_all", f"Nothing routes this alert (no responders, and no team or "
                                                  f"escalation policy on its key); paged {route} instead")


@dataclass
class OpenedAlert:
    """A just-opened alert as its first escalation step reads it: what the insert wrote, without reading it back."""

    id: int
    message: str
    priority: Priority
    responders: list[dict[str, Any]]
    team_id: int | None
    escalation_policy_id: int | None
    incident_id: int | None
    escalation_step: int = 0
    escalation_round: int = 0
    escalation_generation: int = 0


def _first_step(db: Session, actor: Actor, now: datetime, alert: OpenedAlert, written: tuple[int, int]) -> None:
    """Page the first step now. The row was written standing where escalation goes next (``written``); should
    the step have moved it elsewhere, the row learns where."""
    escalation.page_current_step(db=db, alert=alert, now=now, clock=actor.clock)
    if (alert.escalation_step, alert.escalation_round) != written:
        db.execute(sa.update(Alert).where(Alert.id == alert.id)
                   .values(escalation_step=alert.escalation_step, escalation_round=alert.escalation_round)
                   .execution_options(synchronize_session=False))


_UPSERTS: dict[tuple[str, tuple[str, ...], bool], sa.Insert] = {}


def _upsert_statement(dialect: str, columns: tuple[str, ...], shown: bool = False) -> sa.Insert:
    """INSERT … ON CONFLICT (open alias) DO UPDATE count + 1, built once per dialect and reused with new values."""
    statement = _UPSERTS.get((dialect, columns, shown))
    if statement is None:
        table = cast(sa.Table, Alert.__table__)
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert(table).values({name: sa.bindparam(f"new_{name}", type_=table.c[name].type)
                                       for name in columns})
        statement = upsert.on_conflict_do_update(
            index_elements=["dedup_scope", "alias"],
            index_where=sa.text("status != 'closed'"),
            set_={"count": table.c.count + 1, "last_occurred_at": upsert.excluded.last_occurred_at,
                  "updated_at": upsert.excluded.updated_at},
        ).returning(table.c.id, table.c.count, *((table.c.message, table.c.description, table.c.details)
                                                   if shown else ()))
        _UPSERTS[(dialect, columns, shown)] = statement
    return statement


def _event(db: Session, actor: Actor, alert_id: int, kind: str, body: str, **data: Any) -> None:
    record_event(db=db, actor=actor, alert_id=alert_id, kind=kind, body=body, **data)


def find_alert(*, db: Session, identifier: str, kind: str = "id", scope: str | None = None) -> Alert:
    """By id (``42``, ``#42``), tiny id (the same number here) or alias (the open alert first)."""
    if kind in ("id", "tiny"):
        match = TINY_RE.match(identifier.strip())
        alert = db.get(Alert, int(match.group(1))) if match and int(match.group(1)) <= MAX_ID else None
    elif kind == "alias":
        query = sa.select(Alert).where(Alert.alias == identifier)
        if scope is not None:
            query = query.where(Alert.dedup_scope == scope)
        query = query.order_by((Alert.status == AlertStatus.closed).asc(), Alert.id.desc()).limit(1)
        alert = db.scalar(query)
    else:
        raise ValidationFailed(f"identifierType must be id, tiny or alias (got '{kind}').", field="identifierType")
    if alert is None:
        raise NotFound(f"No alert with {kind} '{identifier}'.", field="identifier")
    return alert


def acknowledge(*, db: Session, actor: Actor, alert_id: int, note: str = "") -> Alert:
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    if alert.status is AlertStatus.closed:
        raise Conflict(f"Alert #{alert.id} is closed.")
    if alert.status is AlertStatus.acknowledged:
        return alert
    now = actor.clock.now()
    alert.status = AlertStatus.acknowledged
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    alert.acknowledged_by_label = actor.handle[:100]
    alert.updated_at = now
    escalation.stop(db=db, alert=alert, now=now)
    _event(db, actor, alert.id, "acknowledged", f"Acknowledged by @{actor.handle}" + _note(note))
    _audit(db, actor, alert, "alert.acknowledge")
    return alert


def unacknowledge(*, db: Session, actor: Actor, alert_id: int, note: str = "") -> Alert:
    """Hand the alert back: escalation starts again from the first step."""
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    if alert.status is not AlertStatus.acknowledged:
        raise Conflict(f"Alert #{alert.id} is {alert.status.value}, not acknowledged.")
    now = actor.clock.now()
    alert.status = AlertStatus.open
    alert.acknowledged_at = None
    alert.acknowledged_by_id = None
    alert.acknowledged_by_label = ""
    alert.snoozed_until = None
    alert.updated_at = now
    alert.escalation_step = 0
    alert.escalation_round = 0
    alert.escalation_generation += 1
    escalation.schedule(db=db, alert=alert, due_at=now)
    _event(db, actor, alert.id, "unacknowledged", f"Unacknowledged by @{actor.handle}" + _note(note))
    _audit(db, actor, alert, "alert.unacknowledge")
    return alert


def close(*, db: Session, actor: Actor, alert_id: int, note: str = "") -> Alert:
    """Close the alert (already closed: nothing changes) and return it as stored."""
    close_alert(db=db, actor=actor, alert_id=alert_id, note=note)
    return lock_alert(db=db, alert_id=alert_id)


# A close is one statement on the table: the row locked and changed where it is not closed yet, and returned as
# escalation reads it, instead of loading the whole alert through the ORM and flushing it back. Built once.
_ALERTS = cast(sa.Table, Alert.__table__)
_CLOSE = (sa.update(_ALERTS)
          .where(_ALERTS.c.id == sa.bindparam("closing_id"), _ALERTS.c.status != AlertStatus.closed)
          .values(status=AlertStatus.closed, closed_at=sa.bindparam("closing_at"),
                  closed_by_id=sa.bindparam("closing_by_id"), closed_by_label=sa.bindparam("closing_by_label"),
                  updated_at=sa.bindparam("closing_at"))
          .returning(_ALERTS.c.id, _ALERTS.c.message, _ALERTS.c.priority, _ALERTS.c.responders, _ALERTS.c.team_id,
                     _ALERTS.c.escalation_policy_id, _ALERTS.c.incident_id, _ALERTS.c.escalation_step,
                     _ALERTS.c.escalation_round, _ALERTS.c.escalation_generation))
_EXISTS = sa.select(_ALERTS.c.id).where(_ALERTS.c.id == sa.bindparam("alert_id"))
# What a close appends and no statement of the close reads back: these may wait for the commit's flush.
APPENDED_BY_CLOSE = (AlertEvent, AlertRequest, AuditEntry)
_OPEN_BY_KEY = sa.select(_ALERTS.c.id, _ALERTS.c.status).where(
    _ALERTS.c.dedup_scope == sa.bindparam("scope"), _ALERTS.c.alias == sa.bindparam("alias"),
    _ALERTS.c.status != AlertStatus.closed)


def find_open(*, db: Session, scope: str, alias: str) -> tuple[int, AlertStatus] | None:
    """The open alert with this key (id and status), for a resolve or acknowledge by key. Read on the connection
    by a statement built once: a batch of resolves does not flush each close's timeline rows one by one."""
    flush_unless_appended(db, APPENDED_BY_CLOSE)
    row = db.connection().execute(_OPEN_BY_KEY, {"scope": scope, "alias": alias}).first()
    return (row[0], row[1]) if row is not None else None


def close_alert(*, db: Session, actor: Actor, alert_id: int, note: str = "") -> bool:
    """Close the alert without loading it: True if this closed it, False if it was closed already.

    The same rules as ever: escalation stops, the timeline and the audit log say who closed it, live pages hear
    of it. The session is flushed first only if it holds changes these statements could read (a changed alert or
    notification): the timeline and audit rows of earlier closes in the batch flush together at commit.
    """
    actor.require(AccessRole.responder)
    if not 0 < alert_id <= MAX_ID:
        raise NotFound(f"No alert #{alert_id}.", field="alert")
    flush_unless_appended(db, APPENDED_BY_CLOSE)
    now = actor.clock.now()
    connection = db.connection()
    row = connection.execute(_CLOSE, {"closing_id": alert_id, "closing_at": now, "closing_by_id": actor.user_id,
                                      "closing_by_label": actor.handle[:100]}).first()
    if row is None:
        if connection.execute(_EXISTS, {"alert_id": alert_id}).first() is None:
            raise NotFound(f"No alert #{alert_id}.", field="alert")
        return False
    _forget_loaded(db, alert_id)
    with db.no_autoflush:  # flushed above as far as the stop could read it
        escalation.stop(db=db, alert=OpenedAlert(*row), now=now)
    _event(db, actor, alert_id, "closed", f"Closed by @{actor.handle}" + _note(note))
    audit.record(db=db, actor=actor, action="alert.close", target_type="alert", target_id=alert_id)
    mark(db, ALERTS)
    return True


def _forget_loaded(db: Session, alert_id: int) -> None:
    """The alert's row in the session, if one was loaded, is stale now: read it afresh when next used."""
    loaded = db.identity_map.get(db.identity_key(Alert, alert_id))
    if loaded is not None:
        db.expire(loaded)


def snooze(*, db: Session, actor: Actor, alert_id: int, until: datetime, note: str = "") -> Alert:
    """Quiet an alert until a time; escalation resumes from where it stood when the snooze ends."""
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    now = actor.clock.now()
    if alert.status is AlertStatus.closed:
        raise Conflict(f"Alert #{alert.id} is closed.")
    if until <= now or until - now > MAX_SNOOZE:
        raise ValidationFailed("Snooze until a time in the next 7 days.", field="until")
    alert.snoozed_until = until
    alert.updated_at = now
    alert.escalation_generation += 1
    escalation.schedule(db=db, alert=alert, due_at=until)
    _event(db, actor, alert.id, "snoozed", f"Snoozed by @{actor.handle} until {until:%Y-%m-%d %H:%M} UTC"
           + _note(note), until=until.isoformat())
    _audit(db, actor, alert, "alert.snooze", until=until.isoformat())
    return alert


def add_note(*, db: Session, actor: Actor, alert_id: int, note: str) -> Alert:
    actor.require(AccessRole.responder)
    text = note.strip()
    if not text:
        raise ValidationFailed("The note is empty.", field="note")
    if len(text) > 25_000:
        raise ValidationFailed("Notes are at most 25,000 characters.", field="note")
    alert = lock_alert(db=db, alert_id=alert_id)
    alert.updated_at = actor.clock.now()
    _event(db, actor, alert.id, "note", text)
    _audit(db, actor, alert, "alert.note")
    return alert


def escalate_now(*, db: Session, actor: Actor, alert_id: int) -> Alert:
    """Skip the wait: run the next escalation step at once."""
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    if alert.status is not AlertStatus.open:
        raise Conflict(f"Alert #{alert.id} is {alert.status.value}; only open alerts escalate.")
    alert.snoozed_until = None
    alert.escalation_generation += 1
    escalation.schedule(db=db, alert=alert, due_at=actor.clock.now())
    _event(db, actor, alert.id, "escalate_now", f"@{actor.handle} escalated now")
    _audit(db, actor, alert, "alert.escalate_now")
    return alert


def reassign(*, db: Session, actor: Actor, alert_id: int, responders: list[dict[str, Any]],
             label: str) -> Alert:
    """Page someone else instead: the alert's responders change and escalation restarts for them."""
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    privacy.require_insider(db, actor, alert, "page someone new for it")
    if alert.status is AlertStatus.closed:
        raise Conflict(f"Alert #{alert.id} is closed.")
    alert.responders = responders
    alert.escalation_policy_id = None
    alert.snoozed_until = None
    alert.status = AlertStatus.open
    alert.acknowledged_at = None
    alert.acknowledged_by_id = None
    alert.acknowledged_by_label = ""
    alert.escalation_step = 0
    alert.escalation_generation += 1
    escalation.schedule(db=db, alert=alert, due_at=actor.clock.now())
    _event(db, actor, alert.id, "reassigned", f"@{actor.handle} reassigned to {label}")
    _audit(db, actor, alert, "alert.reassign", to=label)
    return alert


def update_text(*, db: Session, actor: Actor, alert_id: int, message: str | None = None,
                description: str | None = None) -> Alert:
    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    if message is not None:
        cleaned = " ".join(message.split())
        if not cleaned:
            raise ValidationFailed("An alert needs a message.", field="message")
        alert.message = cleaned[:MAX_MESSAGE]
    if description is not None:
        alert.description = description[:MAX_DESCRIPTION]
    alert.updated_at = actor.clock.now()
    _event(db, actor, alert.id, "updated", "Message updated" if message is not None else "Description updated")
    _audit(db, actor, alert, "alert.update")
    return alert


def attach_to_incident(*, db: Session, actor: Actor, alert_id: int, incident_id: int) -> Alert:
    """Link an alert to an incident; the incident's room records it too."""
    from warroom.incidents import service as incidents
    from warroom.incidents import visibility
    from warroom.timeline import service as timeline
    from warroom.timeline.models import EntryKind

    actor.require(AccessRole.responder)
    alert = lock_alert(db=db, alert_id=alert_id)
    privacy.require_insider(db, actor, alert, "move it to another incident")
    incident = incidents.lock_incident(db=db, ref=incident_id)
    visibility.require_visible(db=db, actor=actor, incident=incident)
    alert.incident_id = incident.id
    alert.updated_at = actor.clock.now()
    _event(db, actor, alert.id, "attached", f"Attached to {incident.ref}", incident_id=incident.id)
    if not incident.is_archived:
        timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                           body=f"Alert #{alert.id} attached: {alert.message}", alert_id=alert.id)
    _audit(db, actor, alert, "alert.attach", incident=incident.ref)
    return alert


def list_alerts(*, db: Session, status: Sequence[AlertStatus] = (), team_id: int | None = None,
                incident_id: int | None = None, unrouted: bool = False, limit: int = 50,
                offset: int = 0) -> tuple[list[Alert], int]:
    """Newest first, with their total; ``unrouted``: only those Warroom could not route as asked."""
    query = sa.select(Alert)
    if unrouted:
        query = query.where(Alert.unrouted.is_(True))
    if status:
        query = query.where(Alert.status.in_(list(status)))
    if team_id is not None:
        query = query.where(Alert.team_id == team_id)
    if incident_id is not None:
        query = query.where(Alert.incident_id == incident_id)
    total = int(db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)
    rows = db.scalars(query.order_by(Alert.id.desc()).limit(limit).offset(offset))
    return list(rows), total


@dataclass(frozen=True)
class EventView:
    id: int
    kind: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    actor_handle: str | None


def events(*, db: Session, alert_id: int, limit: int = 500) -> list[EventView]:
    query = (sa.select(AlertEvent, User.handle).outerjoin(User, User.id == AlertEvent.actor_id)
             .where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id).limit(limit))
    return [EventView(e.id, e.kind, e.body, e.data, e.created_at, h) for e, h in db.execute(query)]


def _note(note: str) -> str:
    return f": {note.strip()}" if note.strip() else ""


def _audit(db: Session, actor: Actor, alert: Alert, action: str, **detail: Any) -> None:
    audit.record(db=db, actor=actor, action=action, target_type="alert", target_id=alert.id, **detail)
