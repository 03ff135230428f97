"""What the compatibility routers share: the raw body, telling a store outage from a bug, and refusing a body
over the size limit in the caller's own shape."""

from __future__ import annotations

import json

from fastapi import Request
from sqlalchemy.exc import DBAPIError

from warroom.api import problems
from warroom.api.compat.formats.opsgenie.wire import Call, OpsgenieError
from warroom.db import faults

# Seconds a sender should wait before retrying when the store is down (the API's own value).
RETRY_AFTER = str(problems.STORE_RETRY_AFTER)


async def raw_body(request: Request) -> bytes:
    """The body as sent: each surface parses it itself, to answer errors in its own shape."""
    return await request.body()


def is_store_outage(error: DBAPIError) -> bool:
    """The store cannot serve now, judged (and logged, once per outage) as the API's 503 handler does."""
    if not problems.is_outage(error):
        return False
    faults.outages.failed(error, "ingest")
    return True


# The PagerDuty Events API's paths; every other path under /v2/ is the Opsgenie API.
PAGERDUTY_PATHS = frozenset({"/v2/enqueue", "/v2/enqueue/", "/v2/change/enqueue", "/v2/change/enqueue/"})
OPSGENIE_PREFIX = "/v2/"
JSON = "application/json"


def too_large(path: str, max_bytes: int) -> tuple[str, bytes, dict[str, str]] | None:
    """A body over the server's limit, refused in the caller's own error shape (None: the API's problem+json).

    PagerDuty's senders read ``{status, message, errors}``; Opsgenie's SDK reads ``{message, took, requestId}``,
    with the same request id in ``X-Request-ID`` as on Opsgenie's other answers.
    """
    if path in PAGERDUTY_PATHS:
        return JSON, json.dumps({"status": "invalid event", "message": "Event object is too large", "errors": [
            f"The request body is over {max_bytes} bytes, the most this Warroom accepts; send less"]}).encode(), {}
    if path.startswith(OPSGENIE_PREFIX):
        call = Call()
        body = json.dumps(call.error(OpsgenieError(
            413, f"Request body is too large: it is over {max_bytes} bytes, the most this Warroom accepts; "
                 "send less (for an alert, shorten its description or details)."))).encode()
        return JSON, body, call.headers()
    return None
