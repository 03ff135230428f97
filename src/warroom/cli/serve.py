"""`warroom serve`: web UI + API + engine in one process, on a migrated database with the demo seeded."""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
from types import FrameType

import typer
import uvicorn

from warroom.accounts import service as accounts
from warroom.api.app import create_app
from warroom.asgi import tune_interpreter
from warroom.chat_inbound.matrix.listener import matrix_listening
from warroom.chat_inbound.slack.socket_mode import socket_mode
from warroom.cli.demo import demo_sign_in
from warroom.cli.local import local_runtime, settings, shown_url
from warroom.cli.output import say
from warroom.live.broker import broker
from warroom.observability.logging import configure as configure_logging
from warroom.observability.logging import log_config
from warroom.reports.inbound import inbound_listener
from warroom.runtime import Runtime, seed_if_empty

ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104  (compared against, not bound)
# Seconds uvicorn waits for requests in flight at shutdown before cancelling them (streams end at once).
GRACEFUL_SHUTDOWN_SECONDS = 5
STARTUP_FAILURE = 3  # uvicorn's exit status when the server could not start (the port is taken, say)


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to listen on (default WARROOM_HOST, "
                                    "127.0.0.1). Use 0.0.0.0 to accept other machines."),
    port: int | None = typer.Option(None, "--port", help="Port (default WARROOM_PORT, 8080)."),
) -> None:
    """Run Warroom: migrate, seed the demo into an empty database, then serve until Ctrl-C."""
    config = settings()
    bind_host = host if host is not None else config.host
    bind_port = port if port is not None else config.port
    if "base_url" not in config.model_fields_set:
        # Nobody set WARROOM_BASE_URL: links in the room and announcements point where we listen.
        config = config.model_copy(update={"base_url": local_url(bind_host, bind_port)})
    _log_to_terminal(config.log_format)
    tune_interpreter()
    with local_runtime(config) as runtime:
        seeded = seed_if_empty(runtime)
        _print_welcome(runtime, bind_host, bind_port, seeded=seeded)
        # uvicorn turns Ctrl-C or SIGTERM into a graceful shutdown: live streams end at once, requests in
        # flight get GRACEFUL_SHUTDOWN_SECONDS, then the app's lifespan stops the engine thread.
        with inbound_listener(runtime.database, runtime.clock, runtime.settings), matrix_listening(runtime), \
                socket_mode(runtime):
            # X-Forwarded-For is believed only from WARROOM_TRUSTED_PROXIES (warroom.core.proxies), not by uvicorn.
            run_server(uvicorn.Config(create_app(runtime), host=bind_host, port=bind_port, log_level="info",
                                      access_log=False, proxy_headers=False,  # warroom.access logs requests
                                      log_config=log_config(runtime.settings.log_format),
                                      timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS))
    say("Warroom stopped.")


class Server(uvicorn.Server):
    """uvicorn's server, which ends every live-update stream as it starts to shut down.

    A stream (SSE) is a request that never finishes by itself: uvicorn would wait for its client to hang up
    ("Waiting for connections to close") until the stream's own 30-minute limit. Ending them at once lets
    the shutdown finish in a moment; browsers reconnect (to this server restarted, or another replica).
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        broker.close()
        await super().shutdown(sockets)


class Terminated(Exception):
    """SIGTERM, which uvicorn sends on again once its graceful shutdown is done: stop as Ctrl-C does."""


def _terminated(_signal: int, _frame: FrameType | None) -> None:
    raise Terminated


def run_server(config: uvicorn.Config) -> None:
    """``uvicorn.run`` for an app object, with the shutdown above; exits 3 if the server never started.

    After its shutdown uvicorn raises the signal that stopped it again. SIGINT becomes KeyboardInterrupt;
    SIGTERM would kill the process before the listeners stop and the database is closed, so it becomes
    ``Terminated`` here, and `warroom serve` finishes as it does after Ctrl-C.
    """
    broker.reopen()
    server = Server(config)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        with contextlib.suppress(KeyboardInterrupt, Terminated):
            server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def _log_to_terminal(log_format: str) -> None:
    """Warroom's lines and uvicorn's, as text or JSON (WARROOM_LOG_FORMAT), with request ids and the access log."""
    if not logging.getLogger("warroom").handlers:
        configure_logging(log_format)


def local_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ANY_ADDRESS else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _print_welcome(runtime: Runtime, host: str, port: int, *, seeded: bool) -> None:
    url = local_url(host, port)
    say(f"Warroom is starting at {url}", "bold green")
    if runtime.settings.base_url.rstrip("/") != url:
        say(f"Links in announcements use WARROOM_BASE_URL: {runtime.settings.base_url}")
    say(f"Database: {shown_url(runtime.settings.resolved_database_url())}")
    with runtime.database.reading() as db:
        hint = demo_sign_in(db)
        anyone = bool(accounts.list_users(db=db))
    if seeded and hint:
        say("Seeded the demo organisation (first run).")
    if hint:
        say(hint, "bold")
    elif not anyone:
        say("No one can sign in yet: create an admin with "
            "`warroom users create <handle> --email <email> --access admin`.", "yellow")
    else:
        say("Sign in with your Warroom account.")
    say("Press Ctrl-C to stop.")
