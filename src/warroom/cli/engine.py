"""`warroom engine`: the background engine on its own, for running several next to API replicas.

Several engines share one PostgreSQL: due jobs are claimed with FOR UPDATE SKIP LOCKED under a lease,
so each job runs on one engine at a time, and a job whose engine died is claimed again when the lease
lapses. On SQLite, run one engine (or use `warroom serve`, which runs one inside).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from warroom.cli.local import local_runtime, settings, shown_url
from warroom.cli.output import say
from warroom.engine import queue
from warroom.live.notify import listening
from warroom.observability.logging import configure as configure_logging


def engine(
    interval: float | None = typer.Option(None, "--interval", help="Seconds between ticks when idle "
                                          "(default WARROOM_ENGINE_TICK_SECONDS, 1)."),
) -> None:
    """Run the engine (escalations, notifications, reminders, announcements) until stopped."""
    config = settings()
    configure_logging(config.log_format)  # Warroom's lines; other libraries' only from warnings up (no page URLs)
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        queue.wake()  # an idle engine waits for its next tick: stop now, not then

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with local_runtime(config) as runtime, listening(config.resolved_listen_url()):
        worker = runtime.engine()
        say(f"Warroom engine {worker.owner} on {shown_url(config.resolved_database_url())}")
        worker.run_until(stop, interval if interval is not None else config.engine_tick_seconds)
    say("Engine stopped.")
