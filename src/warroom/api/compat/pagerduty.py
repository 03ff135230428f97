"""``POST /v2/enqueue`` and ``POST /v2/change/enqueue``: the PagerDuty Events API v2 (alert and change
events), answered in PagerDuty's own shapes.

Alertmanager's ``pagerduty_configs`` posts to its ``url`` as given, so both ``/v2/enqueue`` and
``/v2/enqueue/`` are served. The 202 is sent after the alert (and its escalation job), or the change, is
committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from warroom.api.compat.common import RETRY_AFTER, is_store_outage
from warroom.api.compat.formats.pagerduty import changes, events
from warroom.api.deps import runtime_of
from warroom.api.json_body import JsonBodyRoute

router = APIRouter(tags=["compat: PagerDuty Events API v2"], route_class=JsonBodyRoute)

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "description": "A Warroom pagerduty integration key."},
        "event_action": {"enum": list(events.ACTIONS)},
        "dedup_key": {"type": "string", "maxLength": events.MAX_DEDUP_KEY},
        "payload": {"type": "object", "required": ["summary", "source", "severity"], "properties": {
            "summary": {"type": "string", "maxLength": events.MAX_SUMMARY}, "source": {"type": "string"},
            "severity": {"enum": list(events.SEVERITY_PRIORITY)}, "timestamp": {"type": "string"},
            "component": {"type": "string"}, "group": {"type": "string"}, "class": {"type": "string"},
            "custom_details": {"type": "object"}}},
        "client": {"type": "string"}, "client_url": {"type": "string"},
        "links": {"type": "array", "items": {"type": "object"}},
        "images": {"type": "array", "items": {"type": "object"}},
    },
}
ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"description": "Event processed: {status, message, dedup_key}"},
    400: {"description": "Invalid event (or routing key): {status, message, errors}"},
    413: {"description": "The event is over 512 KB"},
    503: {"description": "The store is unavailable; retry after Retry-After seconds"},
}


CHANGE_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["routing_key", "payload"],
    "properties": {
        "routing_key": {"type": "string", "description": "A Warroom pagerduty integration key: the service changed "
                                                          "is the key's name."},
        "payload": {"type": "object", "required": ["summary"], "properties": {
            "summary": {"type": "string", "maxLength": events.MAX_SUMMARY},
            "source": {"type": "string", "maxLength": changes.MAX_SOURCE},
            "timestamp": {"type": "string", "format": "date-time"}, "custom_details": {"type": "object"}}},
        "links": {"type": "array", "maxItems": changes.MAX_LINKS, "items": {
            "type": "object", "required": ["href"], "properties": {"href": {"type": "string"},
                                                                   "text": {"type": "string"}}}},
    },
}
CHANGE_ANSWERS: dict[int | str, dict[str, Any]] = {
    202: {"description": "Change kept: {status, message}"},
    400: {"description": "Invalid change event (or routing key): {status, message, errors}"},
    413: {"description": "The event is over 512 KB"},
    503: {"description": "The store is unavailable; retry after Retry-After seconds"},
}


def _error(status: int, state: str, message: str, errors: list[str],
           headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": state, "message": message, "errors": errors}, status_code=status,
                        headers=headers)


async def pagerduty_enqueue(request: Request) -> JSONResponse:
    """Trigger, acknowledge or resolve an alert (PagerDuty Events API v2)."""
    runtime = runtime_of(request)

    async def enqueue(body: bytes) -> dict[str, Any]:
        event = events.parse_event(body)
        dedup_key = await runtime.committer.run(lambda db: events.process(db=db, event=event, clock=runtime.clock),
                                                partition=event.dedup_key)
        return events.accepted(dedup_key)

    return await _answered(request, enqueue)


async def _answered(request: Request, enqueue: Callable[[bytes], Awaitable[dict[str, Any]]]) -> JSONResponse:
    """One PagerDuty event endpoint's answers: 413 and 400 in PagerDuty's shape, 503 when the store is down."""
    body = await request.body()
    refused = _too_large(body)
    if refused is not None:
        return refused
    try:
        accepted = await enqueue(body)
    except events.InvalidEvent as invalid:
        return JSONResponse(invalid.body(), status_code=400)
    except DBAPIError as error:
        if not is_store_outage(error):
            raise
        return _error(503, "unavailable", "The store is unavailable; nothing was written. Retry later.", [],
                      {"Retry-After": RETRY_AFTER})
    return JSONResponse(accepted, status_code=202)


def _too_large(body: bytes) -> JSONResponse | None:
    if len(body) <= events.MAX_EVENT_BYTES:
        return None
    return _error(413, "invalid event", "Event object is too large",
                  [f"The event is {len(body)} bytes; the maximum is 512 KB ({events.MAX_EVENT_BYTES} bytes)"])


async def pagerduty_change_enqueue(request: Request) -> JSONResponse:
    """Report a change to a service (PagerDuty Change Events): a deploy, a config update; pages nobody."""
    runtime = runtime_of(request)

    async def enqueue(body: bytes) -> dict[str, Any]:
        event = changes.parse_change(body)
        await runtime.committer.run(lambda db: changes.process(db=db, event=event, clock=runtime.clock))
        return changes.accepted()

    return await _answered(request, enqueue)


router.add_api_route("/v2/enqueue", pagerduty_enqueue, methods=["POST"], status_code=202,
                     summary="Send an event (PagerDuty Events API v2)", response_class=JSONResponse,
                     responses=ANSWERS, openapi_extra={"requestBody": {
                         "required": True, "content": {"application/json": {"schema": EVENT_SCHEMA}}}})
router.add_api_route("/v2/enqueue/", pagerduty_enqueue, methods=["POST"], status_code=202,
                     include_in_schema=False, name="pagerduty_enqueue_slash")
router.add_api_route("/v2/change/enqueue", pagerduty_change_enqueue, methods=["POST"], status_code=202,
                     summary="Report a change to a service (PagerDuty Change Events)", response_class=JSONResponse,
                     responses=CHANGE_ANSWERS, openapi_extra={"requestBody": {
                         "required": True, "content": {"application/json": {"schema": CHANGE_SCHEMA}}}})
router.add_api_route("/v2/change/enqueue/", pagerduty_change_enqueue, methods=["POST"], status_code=202,
                     include_in_schema=False, name="pagerduty_change_enqueue_slash")
