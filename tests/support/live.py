"""The real app served by uvicorn on a free 127.0.0.1 port, in a thread: every byte goes as in production."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from warroom.api.app import create_app
from warroom.runtime import Runtime

from .waiting import free_socket, wait_until

START_SECONDS = 30.0  # a bound on waiting for start-up and shut-down, not a timing assertion


@dataclass
class LiveServer:
    url: str
    runtime: Runtime
    server: uvicorn.Server

    @property
    def base_url(self) -> str:
        return self.url


@contextmanager
def live_server(runtime: Runtime, *, engine: bool | None = False, start_seconds: float = START_SECONDS,
                **config: Any) -> Iterator[LiveServer]:
    """Serve ``create_app(runtime)`` until the block ends.

    ``engine``: False runs no engine (the default), True runs it, None leaves it to the runtime's settings.
    ``config``: uvicorn.Config options that differ (lifespan, timeout_graceful_shutdown, backlog…); with
    ``ssl_certfile`` (and ``ssl_keyfile``) it serves HTTPS and its url says so.
    """
    sock = free_socket()
    port = sock.getsockname()[1]
    app = create_app(runtime, run_engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, **{"log_level": "warning", **config}))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="warroom-live", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), start_seconds, what="uvicorn to start",
                   every=0.02)
        assert server.started, "the test server died while starting"
        scheme = "https" if config.get("ssl_certfile") else "http"
        yield LiveServer(f"{scheme}://127.0.0.1:{port}", runtime, server)
    finally:
        server.should_exit = True
        thread.join(timeout=start_seconds)
        sock.close()
