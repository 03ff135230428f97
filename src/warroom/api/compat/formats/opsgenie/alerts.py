"""Opsgenie Alert API v2 on Warroom alerts: create, acknowledge, close, notes, message, description, get.

The other changes are in ``alert_changes``, list, count, notes, logs and recipients in ``alert_reads``, the search
query in ``query`` (docs/compatibility.md lists every call).

Opsgenie processes requests asynchronously and answers 202 with a ``requestId``; Warroom does the work
before answering (the 202 comes after commit) and keeps the outcome as an AlertRequest, so
``GET /v2/alerts/requests/{requestId}`` reports it as Opsgenie would. Aliases are account-wide, as in
Opsgenie. Bad input is refused whole (422 listing every field), before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import Team, User
from warroom.core.bounds import is_count
from warroom.core.clock import Clock
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.db.memo import memo
from warroom.db.pending import flush_unless_appended
from warroom.importers import source_ids
from warroom.oncall.alerts import privacy, routing
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.events import MAX_ID
from warroom.oncall.alerts.models import Alert, AlertRequest, AlertStatus, Priority
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind
from warroom.oncall.schedules.models import Schedule

from .wire import Call, Fields, OpsgenieError, authenticate, same_team, timestamp, unprocessable

ALERT_KEYS = (KeyKind.opsgenie,)
MAX_ALIAS = 512
MAX_DESCRIPTION = 15_000
MAX_ENTITY = 512
MAX_SOURCE = 100
MAX_USER = 100
MAX_NOTE = 25_000
MAX_TAGS = 20
MAX_ACTIONS = 10
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
IDENTIFIER_TYPES = ("id", "alias", "tiny")
MAX_PAGE = 100


# Create -------------------------------------------------------------------------------------------


@dataclass
class CreateRequest:
    spec: alerts.AlertSpec
    responders: list[dict[str, Any]]
    user: str
    note: str


def parse_create(data: dict[str, Any]) -> CreateRequest:
    """The create-alert body, checked whole; responders are named here and looked up in ``create``."""
    fields = Fields(data)
    message = fields.text("message", limit=alerts.MAX_MESSAGE, required=True)
    alias = fields.text("alias", limit=MAX_ALIAS)
    description = fields.text("description", limit=MAX_DESCRIPTION)
    entity = fields.text("entity", limit=MAX_ENTITY)
    source = fields.text("source", limit=MAX_SOURCE)
    user = fields.text("user", limit=MAX_USER)
    note = fields.text("note", limit=MAX_NOTE)
    tags = fields.strings("tags", most=MAX_TAGS)
    fields.strings("actions", most=MAX_ACTIONS)  # checked as Opsgenie does; Warroom has no alert actions
    priority = priority_of(fields)
    responders = _responders(fields, "responders")
    _responders(fields, "visibleTo")  # visibility is not restricted in Warroom; the shape is still checked
    details = _details(fields)
    fields.check()
    spec = alerts.AlertSpec(message=message, alias=alias, description=description, priority=priority,
                            source=source, entity=entity, tags=tags, details=details)
    return CreateRequest(spec, responders, user, note)


def priority_of(fields: Fields) -> Priority:
    value = fields.data.get("priority")
    if value is None or value == "":
        return Priority.p3
    try:
        return alerts.parse_priority(str(value))
    except ValidationFailed:
        fields.errors["priority"] = "Priority should be one of [P1, P2, P3, P4, P5]."
        return Priority.p3


def _responders(fields: Fields, name: str) -> list[dict[str, Any]]:
    value = fields.data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        fields.errors[name] = f"{name} must be a list of {{type, id|name|username}} objects."
        return []
    found = []
    for item in value:
        if (not isinstance(item, dict) or item.get("type") not in RESPONDER_TYPES
                or not any(isinstance(item.get(k), str) and item[k].strip() for k in ("id", "name", "username"))):
            fields.errors[name] = (f"Each of {name} is an object with type (team, user, escalation or schedule) "
                                   "and its id, name or username.")
            return []
        found.append({k: item[k].strip() for k in ("type", "id", "name", "username") if isinstance(item.get(k), str)})
    return found


def _details(fields: Fields) -> dict[str, Any]:
    value = fields.data.get("details")
    if value is None:
        return {}
    if not isinstance(value, dict):
        fields.errors["details"] = "details must be an object of key-value pairs."
        return {}
    # Opsgenie keeps details as strings; other JSON values are kept as their JSON text.
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


@dataclass(frozen=True)
class Responders:
    """The request's responders as Warroom targets, and those Warroom does not know (kept, never refused)."""

    targets: list[dict[str, Any]]
    unresolved: list[dict[str, str]]


def resolve_responders(db: Session, named: list[dict[str, Any]]) -> Responders:
    """Opsgenie responders (by id, name or username) as Warroom targets; an unknown one is kept as named, to be
    warned about on the alert, which then pages the others (or its key's team or policy, or the catch-all)."""
    targets: list[dict[str, Any]] = []
    unresolved: list[dict[str, str]] = []
    seen = memo(db, "opsgenie_responders")  # a group commit of one tool's alerts names the same ones again
    for responder in named:
        asked = tuple(sorted(responder.items()))
        if asked not in seen:
            seen[asked] = responder_id(db, responder)
        target_id = seen[asked]
        if target_id is None:
            kept = routing.unresolved(responder)
            if kept not in unresolved and len(unresolved) < routing.MAX_UNRESOLVED:
                unresolved.append(kept)
            continue
        target = {"type": responder["type"], "id": target_id}
        if target not in targets:
            targets.append(target)
    return Responders(targets, unresolved)


def responder_id(db: Session, responder: dict[str, Any]) -> int | None:
    kind = responder["type"]
    ident = responder.get("id", "")
    name = (responder.get("name") or responder.get("username") or "").lower()
    model: Any = {"team": Team, "user": User, "escalation": EscalationPolicy, "schedule": Schedule}[kind]
    if ident:
        found = db.get(model, int(ident)) if is_count(ident) else None
        return found.id if found is not None else source_ids.target_id(db, kind, ident)
    columns = {"team": (Team.slug, Team.name), "user": (User.email, User.handle),
               "escalation": (EscalationPolicy.slug, EscalationPolicy.name),
               "schedule": (Schedule.slug, Schedule.name)}[kind]
    match = sa.or_(*(sa.func.lower(c) == name.lstrip("@") for c in columns))
    result: int | None = db.scalar(sa.select(model.id).where(match).order_by(model.id).limit(1))
    return result


def create(*, db: Session, call: Call, header: str | None, request: CreateRequest, clock: Clock) -> None:
    key = authenticate(db, header, ALERT_KEYS)
    spec = request.spec
    responders = resolve_responders(db, request.responders)
    spec.responders, spec.unresolved_responders = responders.targets, responders.unresolved
    spec.team_id = key.team_id
    # Responders named in the request (those Warroom knows) are whom to page; otherwise the key's escalation
    # policy, or its team; with none of these, the catch-all (see warroom.oncall.alerts.routing).
    spec.escalation_policy_id = None if spec.responders else key.escalation_policy_id
    spec.integration_key_id = key.id
    spec.dedup_scope = keys.dedup_scope(key)
    actor = keys.key_actor(key, clock, display=request.user)
    raised = alerts.raise_alert(db=db, actor=actor, spec=spec)
    if raised.created and request.note:
        alerts.add_note(db=db, actor=actor, alert_id=raised.alert_id, note=request.note)
    status = "Created alert" if raised.created else "Alert deduplicated"
    record(db, call, key, "Create", raised.alert_id, spec.alias, True, status, clock.now())


def record(db: Session, call: Call, key: IntegrationKey, action: str, alert_id: int | None, alias: str,
            success: bool, status: str, now: datetime) -> None:
    db.add(AlertRequest(id=call.request_id, action=action, alert_id=alert_id, alias=alias[:512], success=success,
                        status=status[:200], integration_key_id=key.id, created_at=now))


# Act on one alert ---------------------------------------------------------------------------------


def identifier_type(value: str | None) -> str:
    kind = (value or "id").strip().lower()
    if kind not in IDENTIFIER_TYPES:
        raise unprocessable({"identifierType": "identifierType should be one of [id, alias, tiny]."})
    return kind


def find(db: Session, key: IntegrationKey, identifier: str, kind: str) -> Alert:
    try:
        alert = alerts.find_alert(db=db, identifier=identifier, kind=kind, scope="" if kind == "alias" else None)
    except NotFound:
        raise OpsgenieError(404, f"Alert with {kind} '{identifier}' does not exist.") from None
    same_team(key, alert.team_id, "alert")
    return alert


@dataclass(frozen=True)
class Target:
    """The alert an action names, as the action reads it: not the whole row."""

    id: int
    alias: str
    team_id: int | None
    incident_id: int | None
    integration_key_id: int | None
    status: AlertStatus


# Every action looks its alert up: statements built once, read on the connection, so the look-up does not flush
# the rows earlier actions of the batch appended (they flush together at commit); anything else is flushed first.
_ALERTS = cast(sa.Table, Alert.__table__)
_TARGET = (_ALERTS.c.id, _ALERTS.c.alias, _ALERTS.c.team_id, _ALERTS.c.incident_id, _ALERTS.c.integration_key_id,
           _ALERTS.c.status)
_BY_ID = sa.select(*_TARGET).where(_ALERTS.c.id == sa.bindparam("alert_id"))
_BY_ALIAS = (sa.select(*_TARGET)  # aliases are account-wide (scope ""); the open alert first, then the newest
             .where(_ALERTS.c.alias == sa.bindparam("alias"), _ALERTS.c.dedup_scope == "")
             .order_by((_ALERTS.c.status == AlertStatus.closed).asc(), _ALERTS.c.id.desc()).limit(1))


def target(db: Session, key: IntegrationKey, identifier: str, kind: str) -> Target:
    """What ``find`` finds (by id, tiny id or alias), for an action on it."""
    flush_unless_appended(db, alerts.APPENDED_BY_CLOSE)
    connection = db.connection()
    if kind == "alias":
        row = connection.execute(_BY_ALIAS, {"alias": identifier}).first()
    else:
        match = alerts.TINY_RE.match(identifier.strip())
        number = int(match.group(1)) if match else 0
        row = connection.execute(_BY_ID, {"alert_id": number}).first() if 0 < number <= MAX_ID else None
    if row is None:
        raise OpsgenieError(404, f"Alert with {kind} '{identifier}' does not exist.")
    found = Target(*row)
    same_team(key, found.team_id, "alert")
    return found


@dataclass(frozen=True)
class Action:
    """acknowledge | close | note | message | description, with what the body said."""

    name: str
    user: str = ""
    note: str = ""
    text: str = ""


def parse_action(name: str, data: dict[str, Any]) -> Action:
    fields = Fields(data)
    user = fields.text("user", limit=MAX_USER)
    fields.text("source", limit=MAX_SOURCE)
    note = fields.text("note", limit=MAX_NOTE, required=name == "note")
    text = ""
    if name == "message":
        text = fields.text("message", limit=alerts.MAX_MESSAGE, required=True)
    elif name == "description":
        text = fields.text("description", limit=MAX_DESCRIPTION, required=True)
    fields.check()
    return Action(name, user, note, text)


ACTION_NAMES = {"acknowledge": ("Acknowledge", "Acknowledged alert"), "close": ("Close", "Closed alert"),
                "note": ("AddNote", "Added note"), "message": ("UpdateMessage", "Updated message"),
                "description": ("UpdateDescription", "Updated description")}


def act(*, db: Session, call: Call, header: str | None, identifier: str, kind: str, action: Action,
        clock: Clock) -> None:
    key = authenticate(db, header, ALERT_KEYS)
    alert = target(db, key, identifier, kind)
    actor = keys.key_actor(key, clock, display=action.user, user=named_user(db, action.user))
    name, status = ACTION_NAMES[action.name]
    alias = "" if privacy.hidden_from_key(db, key.id, [alert]) else alert.alias  # its request status tells it
    try:
        if action.name == "acknowledge":
            alerts.acknowledge(db=db, actor=actor, alert_id=alert.id, note=action.note)
        elif action.name == "close":
            # Closed already (read in this transaction; a closed alert never opens again): nothing to change, as
            # close_alert would find with two statements more. The request succeeds all the same.
            if alert.status is not AlertStatus.closed:
                alerts.close_alert(db=db, actor=actor, alert_id=alert.id, note=action.note)
        elif action.name == "note":
            alerts.add_note(db=db, actor=actor, alert_id=alert.id, note=action.note)
        elif action.name == "message":
            alerts.update_text(db=db, actor=actor, alert_id=alert.id, message=action.text)
        else:
            alerts.update_text(db=db, actor=actor, alert_id=alert.id, description=action.text)
    except Conflict as refused:
        # Opsgenie accepts the request and reports the failure in its request status.
        record(db, call, key, name, alert.id, alias, False, refused.message, clock.now())
        return
    record(db, call, key, name, alert.id, alias, True, status, clock.now())


# The active user a request's ``user`` names (by email or handle, any case): built once, two columns, no object.
_USERS = cast(sa.Table, User.__table__)
_NAMED = (sa.select(_USERS.c.id, _USERS.c.handle)
          .where(sa.or_(sa.func.lower(_USERS.c.email) == sa.bindparam("wanted"),
                        sa.func.lower(_USERS.c.handle) == sa.bindparam("wanted")),
                 _USERS.c.is_active.is_(True))
          .order_by(_USERS.c.id).limit(1))


@dataclass(frozen=True)
class NamedUser:
    """Who a request's ``user`` names: what acting as them needs."""

    id: int
    handle: str


def named_user(db: Session, text: str) -> NamedUser | None:
    """The active Warroom user the request's ``user`` names, by email or handle (``@`` optional, any case)."""
    wanted = text.strip().lstrip("@").lower()
    if not wanted:
        return None
    known = memo(db, "opsgenie_users")
    if wanted not in known:
        row = db.execute(_NAMED, {"wanted": wanted}).first()  # through the session: its pending users are seen
        known[wanted] = NamedUser(row.id, row.handle) if row is not None else None
    found: NamedUser | None = known[wanted]
    return found


# Read ---------------------------------------------------------------------------------------------


def request_status(*, db: Session, header: str | None, request_id: str) -> dict[str, Any]:
    key = authenticate(db, header, ALERT_KEYS)
    found = db.get(AlertRequest, request_id)
    if found is None or found.integration_key_id != key.id:
        raise OpsgenieError(404, f"Request '{request_id}' does not exist. Ask with the key that sent it.")
    return {"success": found.success, "action": found.action, "processedAt": timestamp(found.created_at),
            "integrationId": str(key.id), "isSuccess": found.success, "status": found.status,
            "alertId": str(found.alert_id) if found.alert_id is not None else "", "alias": found.alias}


def get_alert(*, db: Session, header: str | None, identifier: str, kind: str, now: datetime) -> dict[str, Any]:
    key = authenticate(db, header, ALERT_KEYS)
    alert = find(db, key, identifier, kind)
    if privacy.hidden_from_key(db, key.id, [alert]):
        alert = privacy.redacted(alert)
    return render(db, alert, now)


def _handle(db: Session, user_id: int | None, label: str) -> str:
    """Who did it as Opsgenie names people: a Warroom user's email, else the name the request gave."""
    user = db.get(User, user_id) if user_id is not None else None
    return user.email if user is not None else label


def _millis(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds() * 1000)


def render(db: Session, alert: Alert, now: datetime) -> dict[str, Any]:
    """An alert in Opsgenie's shape (status is open or closed; acknowledgement is a flag)."""
    key = db.get(IntegrationKey, alert.integration_key_id) if alert.integration_key_id else None
    snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
    acknowledged_by = _handle(db, alert.acknowledged_by_id, alert.acknowledged_by_label) \
        if alert.acknowledged_at is not None else ""
    owner = _handle(db, alert.owner_id, "") if alert.owner_id is not None else acknowledged_by
    report = {k: v for k, v in {
        "ackTime": _millis(alert.created_at, alert.acknowledged_at),
        "closeTime": _millis(alert.created_at, alert.closed_at), "acknowledgedBy": acknowledged_by,
        "closedBy": _handle(db, alert.closed_by_id, alert.closed_by_label) if alert.closed_at is not None else "",
    }.items() if v not in (None, "")}
    body: dict[str, Any] = {
        "id": str(alert.id), "tinyId": alert.tiny_id, "alias": alert.alias, "message": alert.message,
        "status": "closed" if alert.status is AlertStatus.closed else "open",
        "acknowledged": alert.acknowledged_at is not None, "isSeen": alert.acknowledged_at is not None,
        "tags": list(alert.tags), "snoozed": snoozed, "count": alert.count,
        "lastOccurredAt": timestamp(alert.last_occurred_at), "createdAt": timestamp(alert.created_at),
        "updatedAt": timestamp(alert.updated_at), "source": alert.source, "owner": owner,
        "priority": alert.priority.value,
        "responders": [{"type": r.get("type"), "id": str(r.get("id"))} for r in alert.responders],
        "report": report, "entity": alert.entity, "description": alert.description,
        "details": {k: v if isinstance(v, str) else json.dumps(v) for k, v in alert.details.items()},
        "actions": [],
    }
    if snoozed:
        body["snoozedUntil"] = timestamp(alert.snoozed_until)
    if key is not None:
        body["integration"] = {"id": str(key.id), "name": key.name, "type": "API"}
    return body
