"""App factories for bench.routing_cost: the same app with one of its two ahead-of-the-router paths taken out.

    uvicorn --factory bench.routing_variants:without_ingest_fast_path
    uvicorn --factory bench.routing_variants:without_status_cache

Each is ``warroom.asgi.create_from_environment`` with one middleware removed before the app first answers, so
the requests it answered go through the router and FastAPI's route handling instead (answers are the same).
"""

from __future__ import annotations

from fastapi import FastAPI

from warroom.api.compat.fast_path import IngestFastPath
from warroom.asgi import create_from_environment
from warroom.web.statuspage import CachedStatusPages


def _without(kind: type) -> FastAPI:
    app = create_from_environment()
    app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not kind]
    return app


def without_ingest_fast_path() -> FastAPI:
    return _without(IngestFastPath)


def without_status_cache() -> FastAPI:
    return _without(CachedStatusPages)
