"""`warroom serve`: web UI + API + engine in one process, on a migrated database with the demo seeded."""

from __future__ import annotations

import logging

import typer
import uvicorn

from warroom.accounts import service as accounts
from warroom.api.app import create_app
from warroom.asgi import tune_interpreter
from warroom.cli.demo import demo_sign_in
from warroom.cli.local import local_runtime, settings, shown_url
from warroom.cli.output import say
from warroom.integrations.matrix.listener import matrix_listening
from warroom.integrations.slack.socket_mode import socket_mode
from warroom.reports.inbound import inbound_listener
from warroom.runtime import Runtime, seed_if_empty

ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104  (compared against, not bound)


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
    _log_to_terminal()
    tune_interpreter()
    with local_runtime(config) as runtime:
        seeded = seed_if_empty(runtime)
        _print_welcome(runtime, bind_host, bind_port, seeded=seeded)
        # uvicorn turns Ctrl-C into a graceful shutdown; the app's lifespan then stops the engine thread.
        with inbound_listener(runtime.database, runtime.clock, runtime.settings), matrix_listening(runtime), \
                socket_mode(runtime):
            uvicorn.run(create_app(runtime), host=bind_host, port=bind_port, log_level="info",
                        access_log=False)
    say("Warroom stopped.")


def _log_to_terminal() -> None:
    logger = logging.getLogger("warroom")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


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
