"""ASGI entry point for running Warroom under any ASGI server.

    uvicorn --factory warroom.asgi:create_from_environment --host 0.0.0.0 --port 8080 --no-proxy-headers

(--no-proxy-headers: Warroom believes X-Forwarded-For only from WARROOM_TRUSTED_PROXIES; docs/operations.md.)

Settings come from WARROOM_* variables. Set WARROOM_RUN_ENGINE=false on API replicas (and workers) that
should not run the engine, and run `warroom engine` processes instead (docs/operations.md).
"""

from __future__ import annotations

import gc
import sys

from fastapi import FastAPI

from warroom.api.app import create_app
from warroom.config import get_settings
from warroom.runtime import build_runtime, seed_if_empty


def create_from_environment() -> FastAPI:
    tune_interpreter()
    runtime = build_runtime(get_settings())
    seed_if_empty(runtime)
    return create_app(runtime)


def tune_interpreter() -> None:
    """Hand the GIL over sooner (1 ms instead of 5 ms) and collect garbage less often.

    Request threads queue for the one write transaction SQLite allows; the thread holding it must not
    wait a whole 5 ms switch interval behind threads that are only parsing HTTP.
    """
    sys.setswitchinterval(0.001)
    # A page renders thousands of short-lived objects; collecting the young generation less often
    # removes most collector pauses from request latency (memory is bounded by the pages themselves).
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
