"""ASGI entry point for running Warroom under any ASGI server.

    uvicorn --factory warroom.asgi:create_from_environment --host 0.0.0.0 --port 8080 --no-proxy-headers

(--no-proxy-headers: Warroom believes X-Forwarded-For only from WARROOM_TRUSTED_PROXIES; docs/operations.md.)

Settings come from WARROOM_* variables. Set WARROOM_RUN_ENGINE=false on API replicas (and workers) that
should not run the engine, and run `warroom engine` processes instead (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from fastapi import FastAPI

from warroom.api.app import create_app
from warroom.config import get_settings
from warroom.live.broker import broker
from warroom.runtime import build_runtime, seed_if_empty


def create_from_environment() -> FastAPI:
    tune_interpreter()
    end_streams_on_shutdown()
    runtime = build_runtime(get_settings())
    seed_if_empty(runtime)
    return create_app(runtime)


def end_streams_on_shutdown() -> None:
    """End every live-update stream the moment the server is told to stop (SIGTERM, SIGINT).

    A stream never finishes by itself, so a server's graceful shutdown would wait for the browsers to hang up.
    uvicorn (and gunicorn's uvicorn workers) install their signal handlers before they call this factory, on
    the main thread inside the event loop; each handler is wrapped so that it first asks the loop to end the
    streams, then does what it did. Where there is no handler to wrap (another server, or not the main
    thread), nothing changes: give the server a graceful-shutdown timeout instead (docs/operations.md).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if callable(previous):
            signal.signal(signum, _ending_streams_first(loop, previous))


def _ending_streams_first(loop: asyncio.AbstractEventLoop, previous: Callable[[int, FrameType | None], Any],
                          ) -> Callable[[int, FrameType | None], Any]:
    def handler(signum: int, frame: FrameType | None) -> Any:
        if not loop.is_closed():
            loop.call_soon_threadsafe(broker.close)  # on the loop: never take the broker's lock in a handler
        return previous(signum, frame)

    return handler


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
