"""Opsgenie Heartbeat API on Warroom heartbeats: ping, and the heartbeat configuration endpoints.

Opsgenie keys may ping and configure; a heartbeat key only pings (Opsgenie's integration restricted to
"Ping Heartbeat Request"). A key that belongs to a team owns the heartbeats it creates, as in Opsgenie.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.core.bounds import is_count
from warroom.core.clock import Clock
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.importers import source_ids
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Priority
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.heartbeats.models import Heartbeat
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind

from .wire import Fields, OpsgenieError, authenticate, same_team, timestamp, unprocessable

PING_KEYS = (KeyKind.opsgenie, KeyKind.heartbeat)
CONFIG_KEYS = (KeyKind.opsgenie,)
PONG = "PONG - Heartbeat received"


def ping(*, db: Session, header: str | None, name: str, clock: Clock) -> None:
    """A ping, in one statement; another team's heartbeat is refused after it (the caller's transaction, and
    with it the ping, is rolled back)."""
    key = authenticate(db, header, PING_KEYS)
    try:
        pinged = heartbeats.ping(db=db, actor=keys.key_actor(key, clock), name=name)
    except NotFound:
        raise OpsgenieError(404, f"Heartbeat '{name}' does not exist.") from None
    same_team(key, pinged.team_id, "heartbeat")


def _found(db: Session, key: IntegrationKey, name: str) -> Heartbeat:
    try:
        heartbeat = heartbeats.get_heartbeat(db=db, name=name)
    except NotFound as missing:
        raise OpsgenieError(404, missing.message) from None
    same_team(key, heartbeat.team_id, "heartbeat")
    return heartbeat


def render(db: Session, heartbeat: Heartbeat) -> dict[str, Any]:
    interval, unit = _interval(heartbeat.interval_seconds)
    body: dict[str, Any] = {
        "name": heartbeat.name, "description": heartbeat.description, "interval": interval,
        "enabled": heartbeat.enabled, "intervalUnit": unit, "expired": heartbeat.expired,
        "alertMessage": heartbeats.expired_message(heartbeat), "alertTags": ["heartbeat"],
        "alertPriority": heartbeat.alert_priority,
    }
    if heartbeat.last_ping_at is not None:
        body["lastPingTime"] = timestamp(heartbeat.last_ping_at)
    team = db.get(Team, heartbeat.team_id) if heartbeat.team_id else None
    if team is not None:
        body["ownerTeam"] = {"id": str(team.id), "name": team.slug}
    return body


def brief(heartbeat: Heartbeat) -> dict[str, Any]:
    return {"name": heartbeat.name, "enabled": heartbeat.enabled, "expired": heartbeat.expired}


def _interval(seconds: int) -> tuple[int, str]:
    for unit in ("days", "hours"):
        size = heartbeats.UNIT_SECONDS[unit]
        if seconds % size == 0:
            return seconds // size, unit
    return max(seconds // 60, 1), "minutes"


def list_all(*, db: Session, header: str | None) -> list[dict[str, Any]]:
    key = authenticate(db, header, CONFIG_KEYS)
    return [render(db, hb) for hb in heartbeats.list_heartbeats(db=db, team_id=key.team_id)]


def get_one(*, db: Session, header: str | None, name: str) -> dict[str, Any]:
    key = authenticate(db, header, CONFIG_KEYS)
    return render(db, _found(db, key, name))


def _team(db: Session, fields: Fields) -> Team | None:
    value = fields.data.get("ownerTeam")
    if value is None:
        return None
    ident = value.get("id") if isinstance(value, dict) else None
    name = value.get("name") if isinstance(value, dict) else None
    team = None
    if isinstance(ident, str) and is_count(ident):
        team = db.get(Team, int(ident))
    elif isinstance(name, str) and name.strip():
        team = accounts.find_team(db=db, name=name)
    team = team or (source_ids.row(db, Team, "team", ident) if isinstance(ident, str) else None)
    if team is None:
        fields.errors["ownerTeam"] = "ownerTeam names a Warroom team by id or name (its slug)."
    return team


def _priority(fields: Fields) -> Priority | None:
    value = fields.data.get("alertPriority")
    if value is None:
        return None
    try:
        return alerts.parse_priority(str(value))
    except ValidationFailed:
        fields.errors["alertPriority"] = "alertPriority should be one of [P1, P2, P3, P4, P5]."
        return None


def _interval_seconds(fields: Fields, required: bool) -> int | None:
    interval, unit = fields.data.get("interval"), fields.data.get("intervalUnit")
    if interval is None and unit is None and not required:
        return None
    try:
        return heartbeats.interval_seconds(interval if interval is not None else 0,
                                           str(unit if unit is not None else "minutes"))
    except ValidationFailed as bad:
        fields.errors[bad.field or "interval"] = bad.message
        return None


def _enabled(fields: Fields, required: bool) -> bool | None:
    value = fields.data.get("enabled")
    if value is None:
        if required:
            fields.errors["enabled"] = "enabled can not be empty."
        return None
    if not isinstance(value, bool):
        fields.errors["enabled"] = "enabled must be true or false."
        return None
    return value


def create(*, db: Session, header: str | None, data: dict[str, Any], clock: Clock) -> Heartbeat:
    key = authenticate(db, header, CONFIG_KEYS)
    fields = Fields(data)
    name = fields.text("name", limit=heartbeats.MAX_NAME, required=True)
    description = fields.text("description", limit=heartbeats.MAX_DESCRIPTION)
    message = fields.text("alertMessage", limit=alerts.MAX_MESSAGE)
    seconds = _interval_seconds(fields, required=True)
    enabled = _enabled(fields, required=True)
    team = _team(db, fields)
    priority = _priority(fields)
    fields.check()
    assert seconds is not None
    assert enabled is not None
    if key.team_id is not None:  # a team's key creates the team's heartbeats
        team = db.get(Team, key.team_id)
    try:
        return heartbeats.create_heartbeat(
            db=db, actor=keys.key_actor(key, clock), name=name, interval=seconds, enabled=enabled,
            description=description, team=team, alert_message=message, alert_priority=priority or Priority.p3)
    except Conflict as taken:
        raise OpsgenieError(409, taken.message) from None
    except ValidationFailed as bad:
        raise unprocessable({bad.field or "name": bad.message}) from None


def update(*, db: Session, header: str | None, name: str, data: dict[str, Any], clock: Clock) -> Heartbeat:
    key = authenticate(db, header, CONFIG_KEYS)
    heartbeat = _found(db, key, name)
    fields = Fields(data)
    change = heartbeats.HeartbeatChange(
        description=fields.text("description", limit=heartbeats.MAX_DESCRIPTION) if "description" in data else None,
        interval=_interval_seconds(fields, required=False), enabled=_enabled(fields, required=False),
        team=_team(db, fields) if key.team_id is None else None,
        alert_message=fields.text("alertMessage", limit=alerts.MAX_MESSAGE) if "alertMessage" in data else None,
        alert_priority=_priority(fields))
    fields.check()
    return heartbeats.update_heartbeat(db=db, actor=keys.key_actor(key, clock), heartbeat=heartbeat, change=change)


def delete(*, db: Session, header: str | None, name: str, clock: Clock) -> None:
    key = authenticate(db, header, CONFIG_KEYS)
    heartbeats.delete_heartbeat(db=db, actor=keys.key_actor(key, clock), heartbeat=_found(db, key, name))


def switch(*, db: Session, header: str | None, name: str, enabled: bool, clock: Clock) -> Heartbeat:
    key = authenticate(db, header, CONFIG_KEYS)
    return heartbeats.set_enabled(db=db, actor=keys.key_actor(key, clock), heartbeat=_found(db, key, name),
                                  enabled=enabled)
