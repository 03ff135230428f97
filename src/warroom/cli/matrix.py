"""`warroom matrix`: run the bot's /sync listener, check the bot's settings, link Matrix people to Warroom users."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from warroom.chat import service as chat
from warroom.chat_inbound.matrix.listener import MatrixListener
from warroom.cli.local import cli_actor, local_runtime, settings, writing
from warroom.cli.output import fail, say
from warroom.core.delivery import DeliveryError
from warroom.integrations.matrix.client import MATRIX_USER, MatrixPlatform
from warroom.integrations.matrix.registration import MATRIX
from warroom.observability.logging import configure as configure_logging

app = typer.Typer(help="Matrix: the bot's listener, and linking Matrix people to Warroom users.", no_args_is_help=True)

SETTINGS_HINT = ("Set WARROOM_MATRIX_HOMESERVER (like https://matrix.example.org), WARROOM_MATRIX_USER_ID "
                 "(like @warroom:example.org) and WARROOM_MATRIX_ACCESS_TOKEN; see docs/matrix.md.")


@app.command("listen")
def listen(
    once: bool = typer.Option(False, "--once", help="Sync once without waiting, then stop (for a check)."),
    engine: bool = typer.Option(True, "--engine/--no-engine",
                                help="Also run the engine that creates rooms and posts (off when `warroom serve` "
                                     "or `warroom engine` runs beside it)."),
) -> None:
    """Listen to the homeserver: `!incident …` and `!genie …` commands, room messages, reactions, page replies."""
    config = settings()
    if not (config.matrix_homeserver and config.matrix_user_id and config.matrix_access_token):
        fail(f"Matrix is not configured. {SETTINGS_HINT}")
    configure_logging(config.log_format)  # Warroom's lines; other libraries' only from warnings up
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    with local_runtime(config) as runtime:
        platform = runtime.chat_platform(MATRIX.name, MatrixPlatform)
        assert platform is not None
        listener = MatrixListener(runtime.database, platform, runtime.clock)
        try:
            who = platform.call("GET", "/account/whoami", "checking the access token")
        except DeliveryError as error:
            fail(str(error))
        if who.get("user_id") != config.matrix_user_id:
            fail(f"The access token belongs to {who.get('user_id')}, not WARROOM_MATRIX_USER_ID "
                 f"{config.matrix_user_id}; set one or the other right.")
        if once:
            try:
                handled = listener.sync_once(timeout_ms=0)
            except DeliveryError as error:
                fail(str(error))
            say(f"Synced as {config.matrix_user_id}: {handled} event(s) handled.", "green")
            return
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        worker = runtime.engine() if engine else None
        engine_thread = None
        if worker is not None:
            engine_thread = threading.Thread(target=worker.run_until, args=(stop, config.engine_tick_seconds),
                                             name="warroom-engine", daemon=True)
            engine_thread.start()
        say(f"Listening on {config.matrix_homeserver} as {config.matrix_user_id} (Ctrl-C stops).", "green")
        listener.run(stop)
        if engine_thread is not None:
            engine_thread.join(timeout=10)
    say("Matrix listener stopped.")


@app.command("link")
def link(
    matrix_user: str = typer.Argument(..., help="The Matrix user id, like @bob:example.org."),
    who: str = typer.Argument(..., help="The Warroom @handle or email address."),
) -> None:
    """Link a Matrix user to a Warroom user (needed unless the bot can read the homeserver's email addresses)."""
    person = matrix_user.strip()
    if not MATRIX_USER.match(person):
        fail(f"'{person}' is not a Matrix user id; give it whole, like @bob:example.org.")
    with local_runtime() as runtime, writing(runtime) as db:
        chat.link_by_handle(db=db, actor=cli_actor(runtime), platform=MATRIX.name, person_id=person, who=who)
    say(f"Matrix user {person} is now {who.strip()} in Warroom.", "green")
