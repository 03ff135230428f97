"""What routing costs an ingest request, in-process (no HTTP server, no commit): microseconds per request.

    .venv/bin/python -m bench.routing_cost [--requests 5000]

An invalid PagerDuty event (answered 400 before any database work) is sent straight to the ASGI app three ways:
through the ingest path ahead of the router (as served), through the whole app's router and FastAPI's route
handling, and through an app holding only the compatibility routes, which is what a mounted ingest
sub-application would be (its mount adds one prefix match on top). The difference between the last two is what
matching against the whole route table costs; the difference between the first and the last is what FastAPI's
route handling costs, which mounting does not remove. ADR 0025 decides on these figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message

from bench.harness import machine
from bench.routing_variants import without_ingest_fast_path
from warroom.api import problems
from warroom.api.compat import include_compat_routes
from warroom.asgi import create_from_environment

PATH = "/v2/enqueue"
BODY = b'{"routing_key": "x", "event_action": '  # cut short: invalid JSON, refused before any commit


def compat_only(full: FastAPI) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.runtime = full.state.runtime
    problems.install(app)
    include_compat_routes(app)
    return app


async def one(app: ASGIApp) -> int:
    scope: dict[str, Any] = {
        "type": "http", "method": "POST", "path": PATH, "raw_path": PATH.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"content-type", b"application/json"),
                                         (b"content-length", str(len(BODY)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "scheme": "http", "http_version": "1.1"}
    sent = False
    status = 0

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def per_request(app: ASGIApp, requests: int) -> float:
    for _ in range(300):
        assert await one(app) == 400
    started = time.perf_counter()
    for _ in range(requests):
        await one(app)
    return (time.perf_counter() - started) / requests * 1e6


async def measure(requests: int) -> None:
    served, routed = create_from_environment(), without_ingest_fast_path()
    ways = {"ahead of the router (as served)": served, "through the whole app's router": routed,
            "through a compatibility-only app (a mount)": compat_only(served)}
    async with served.router.lifespan_context(served):
        for round_ in (1, 2):
            for label, app in ways.items():
                print(f"round {round_}: {label}: {await per_request(app, requests):.0f} us/request", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    os.environ.update(WARROOM_DATA_DIR=tempfile.mkdtemp(), WARROOM_SECRET_KEY="bench", WARROOM_RUN_ENGINE="false",
                      WARROOM_SEED_DEMO="false")
    asyncio.run(measure(args.requests))


if __name__ == "__main__":
    main()
