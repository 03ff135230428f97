"""PagerDuty Events API v2, spoken by Warroom: ``POST /v2/enqueue`` with the routing key in the body.

An event is checked whole before anything is written (every problem listed, as PagerDuty does), then
turned into one alert action: ``trigger`` raises (deduplicated on ``dedup_key`` per routing key),
``acknowledge`` and ``resolve`` act on the open alert with that key. Acknowledging or resolving a key with
no open alert is accepted and does nothing, as in PagerDuty.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.core import json_input
from warroom.core.clock import Clock
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertStatus, Priority
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind

MAX_EVENT_BYTES = 512 * 1024
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITY_PRIORITY = {"critical": Priority.p1, "error": Priority.p2, "warning": Priority.p3, "info": Priority.p4}
OPTIONAL_TEXT = ("component", "group", "class")


class InvalidEvent(Exception):
    """PagerDuty's 400: ``{"status": "invalid event", "message": …, "errors": [...]}``."""

    def __init__(self, errors: list[str], *, status: str = "invalid event",
                 message: str = "Event object is invalid") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, "errors": self.errors}


@dataclass
class Event:
    routing_key: str
    action: str
    dedup_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)  # client, client_url, links, images


def event_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw`` (an event or a change event), or InvalidEvent as PagerDuty words it."""
    try:
        data = json_input.loads(raw)
    except json_input.InvalidJson as error:
        raise InvalidEvent([f"JSON parse error: {error.msg}"], status="Unrecognized object",
                           message="Event object format is unrecognized") from None
    if not isinstance(data, dict):
        raise InvalidEvent(["The event is not a JSON object"], status="Unrecognized object",
                           message="Event object format is unrecognized")
    return data


def parse_event(raw: bytes) -> Event:
    """The event in ``raw``, or InvalidEvent naming every problem."""
    data = event_object(raw)
    errors: list[str] = []
    routing_key = text_field(data, "routing_key", errors, required=True)
    action = text_field(data, "event_action", errors, required=True)
    if action and action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
    dedup_key = text_field(data, "dedup_key", errors, required=action in ("acknowledge", "resolve"))
    if len(dedup_key) > MAX_DEDUP_KEY:
        errors.append(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
    payload: dict[str, Any] = {}
    context: dict[str, Any] = {}
    if action == "trigger":
        payload = _payload(data.get("payload"), errors)
        context = _context(data, errors)
    if errors:
        raise InvalidEvent(errors)
    return Event(routing_key, action, dedup_key, payload, context)


def text_field(data: dict[str, Any], name: str, errors: list[str], *, required: bool = False,
          label: str | None = None) -> str:
    shown = label or name
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append(f"'{shown}' is missing or blank")
        return ""
    if not isinstance(value, str):
        errors.append(f"'{shown}' must be a string")
        return ""
    return value.strip()


def _payload(value: Any, errors: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        errors.append("'payload' is missing or not an object")
        return {}
    summary = text_field(value, "summary", errors, required=True, label="payload.summary")
    if len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    source = text_field(value, "source", errors, required=True, label="payload.source")
    severity = text_field(value, "severity", errors, required=True, label="payload.severity")
    if severity and severity not in SEVERITY_PRIORITY:
        errors.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
    timestamp = text_field(value, "timestamp", errors, label="payload.timestamp")
    if timestamp and parse_time(timestamp) is None:
        errors.append("'payload.timestamp' is not an ISO 8601 date-time")
    out: dict[str, Any] = {"summary": summary, "source": source, "severity": severity}
    if timestamp:
        out["timestamp"] = timestamp
    for name in OPTIONAL_TEXT:
        text = text_field(value, name, errors, label=f"payload.{name}")
        if text:
            out[name] = text
    if value.get("custom_details") is not None:
        out["custom_details"] = value["custom_details"]
    return out


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time; a Z after an offset ('…+00:00Z', what the pagerduty 7 client writes) is read as UTC."""
    if text.endswith("Z") and len(text) > 6 and text[-7] in "+-" and text[-4] == ":":
        text = text[:-1]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _context(data: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("client", "client_url"):
        text = text_field(data, name, errors)
        if text:
            out[name] = text
    for name, needed in (("links", "href"), ("images", "src")):
        items = data.get(name)
        if items is None:
            continue
        if not isinstance(items, list) or not all(
                isinstance(i, dict) and isinstance(i.get(needed), str) and i[needed] for i in items):
            errors.append(f"'{name}' must be a list of objects, each with '{needed}'")
            continue
        if items:
            out[name] = items
    return out


def check_key(db: Session, routing_key: str) -> IntegrationKey:
    """The live PagerDuty key named by ``routing_key``; anything else is PagerDuty's 'Invalid routing key'."""
    key = keys.authenticate_key(db=db, secret=routing_key)
    if key is None:
        raise InvalidEvent(["Invalid routing key"])
    if key.kind is not KeyKind.pagerduty:
        raise InvalidEvent([f"Invalid routing key: this is a Warroom {key.kind.value} integration key; "
                            "send PagerDuty events with a pagerduty key"])
    return key


def process(*, db: Session, event: Event, clock: Clock) -> str:
    """Apply the event; returns its dedup key (generated for a trigger that had none)."""
    key = check_key(db, event.routing_key)
    actor = keys.key_actor(key, clock)
    scope = keys.dedup_scope(key)
    if event.action == "trigger":
        dedup_key = event.dedup_key or uuid.uuid4().hex
        alerts.raise_alert(db=db, actor=actor, spec=_spec(key, event, dedup_key, scope))
        return dedup_key
    found = alerts.find_open(db=db, scope=scope, alias=event.dedup_key)
    if found is None:
        return event.dedup_key
    alert_id, status = found
    if event.action == "acknowledge" and status is AlertStatus.open:
        alerts.acknowledge(db=db, actor=actor, alert_id=alert_id, note="acknowledge event (PagerDuty Events API)")
    elif event.action == "resolve":
        alerts.close_alert(db=db, actor=actor, alert_id=alert_id, note="resolve event (PagerDuty Events API)")
    return event.dedup_key


def _spec(key: IntegrationKey, event: Event, dedup_key: str, scope: str) -> alerts.AlertSpec:
    payload = event.payload
    summary: str = payload["summary"]
    details = {k: v for k, v in payload.items() if k not in ("summary", "source")}
    details.update(event.context)
    tags = [f"severity:{payload['severity']}"] + [f"{name}:{payload[name]}" for name in OPTIONAL_TEXT
                                                  if name in payload]
    return alerts.AlertSpec(
        message=summary, alias=dedup_key,
        description=summary if len(summary) > alerts.MAX_MESSAGE else "",
        priority=SEVERITY_PRIORITY[payload["severity"]], source=payload["source"],
        entity=payload.get("component", ""), tags=tags, details=details, team_id=key.team_id,
        escalation_policy_id=key.escalation_policy_id, integration_key_id=key.id, dedup_scope=scope)


def accepted(dedup_key: str) -> dict[str, str]:
    """PagerDuty's 202 body."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}
