"""What the compatibility routers share: the raw body, and telling a store outage from a bug."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.exc import DBAPIError

from warroom.api import problems
from warroom.db import faults

# Seconds a sender should wait before retrying when the store is down (the API's own value).
RETRY_AFTER = str(problems.STORE_RETRY_AFTER)


async def raw_body(request: Request) -> bytes:
    """The body as sent: each surface parses it itself, to answer errors in its own shape."""
    return await request.body()


def is_store_outage(error: DBAPIError) -> bool:
    """The store cannot serve now, judged (and logged, once per outage) as the API's 503 handler does."""
    if not problems._is_outage(error):
        return False
    faults.outages.failed(error, "ingest")
    return True
