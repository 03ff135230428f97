"""PagerDuty Change Events, spoken by Warroom: ``POST /v2/change/enqueue`` with the routing key in the body.

A change is not a problem and pages nobody: it is kept on the service its key stands for and shown to the
incidents touching that service (``warroom.oncall.changes``). The event is checked whole before anything is
written, every problem listed in PagerDuty's 400 shape, as for alert events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from warroom.api.compat.formats.pagerduty.events import (
    MAX_SUMMARY,
    InvalidEvent,
    check_key,
    event_object,
    parse_time,
    text_field,
)
from warroom.core.clock import Clock
from warroom.oncall.changes import service as changes
from warroom.oncall.keys import service as keys

MAX_SOURCE = 512
MAX_LINKS = 20


@dataclass
class ChangeIn:
    routing_key: str
    change: changes.NewChange


def parse_change(raw: bytes) -> ChangeIn:
    """The change event in ``raw``, or InvalidEvent naming every problem."""
    data = event_object(raw)
    errors: list[str] = []
    routing_key = text_field(data, "routing_key", errors, required=True)
    payload = data.get("payload")
    change = changes.NewChange(summary="")
    if isinstance(payload, dict):
        change = _change(payload, errors)
    else:
        errors.append("'payload' is missing or not an object")
    change.links = _links(data.get("links"), errors)
    if errors:
        raise InvalidEvent(errors)
    return ChangeIn(routing_key, change)


def _change(payload: dict[str, Any], errors: list[str]) -> changes.NewChange:
    summary = text_field(payload, "summary", errors, required=True, label="payload.summary")
    if len(summary) > MAX_SUMMARY:
        errors.append(f"'payload.summary' is longer than {MAX_SUMMARY} characters")
    source = text_field(payload, "source", errors, label="payload.source")
    if len(source) > MAX_SOURCE:
        errors.append(f"'payload.source' is longer than {MAX_SOURCE} characters")
    timestamp = text_field(payload, "timestamp", errors, label="payload.timestamp")
    happened_at = parse_time(timestamp) if timestamp else None
    if timestamp and (happened_at is None or happened_at.tzinfo is None):
        errors.append("'payload.timestamp' is not an ISO 8601 date-time with a time zone "
                      "(e.g. 2026-07-17T08:42:58.315+0000)")
        happened_at = None
    details = payload.get("custom_details")
    if details is not None and not isinstance(details, dict):
        errors.append("'payload.custom_details' must be an object")
    return changes.NewChange(summary=summary, source=source, happened_at=happened_at,
                             details=details if isinstance(details, dict) else {})


def _links(value: Any, errors: list[str]) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(i, dict) and isinstance(i.get("href"), str) and i["href"]
                                              for i in value):
        errors.append("'links' must be a list of objects, each with 'href'")
        return []
    if len(value) > MAX_LINKS:
        errors.append(f"'links' has {len(value)} items; at most {MAX_LINKS}")
        return []
    return [{"href": i["href"], **({"text": i["text"]} if isinstance(i.get("text"), str) else {})} for i in value]


def process(*, db: Session, event: ChangeIn, clock: Clock) -> int:
    """Keep the change on its key's service; returns its id."""
    key = check_key(db, event.routing_key)
    return changes.record_change(db=db, key=key, change=event.change, actor=keys.key_actor(key, clock)).id


def accepted() -> dict[str, str]:
    """PagerDuty's 202 body for a change event."""
    return {"status": "success", "message": "Change event processed"}
