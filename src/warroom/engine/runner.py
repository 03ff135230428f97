"""The engine: claims due jobs, runs their handler outside the transaction, records the result.

A job whose engine dies after claiming it is claimed again when its lease lapses, so work is
sent at least once; receivers dedup on the idempotency key.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from warroom.core.clock import Clock
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.integrations.webhooks import DeliveryError

log = logging.getLogger("warroom.engine")

Handler = Callable[[Session, Job], None]


@dataclass
class Engine:
    database: Database
    clock: Clock
    handlers: dict[str, Handler] = field(default_factory=dict)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 50

    def tick(self) -> int:
        """Run every job due now; returns how many ran."""
        with self.database.writing() as db:
            claimed = queue.claim(db=db, now=self.clock.now(), owner=self.owner, limit=self.batch)
            jobs = [(job.id, job) for job in claimed]
        for job_id, job in jobs:
            self._run(job_id, job)
        return len(jobs)

    def _run(self, job_id: int, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise DeliveryError(f"no handler for job kind '{job.kind}'", permanent=True)
            with self.database.reading() as db:
                handler(db, job)
        except DeliveryError as error:
            log.warning("job %s (%s) failed: %s", job_id, job.kind, error)
            with self.database.writing() as db:
                queue.fail(db=db, job_id=job_id, now=self.clock.now(), error=str(error),
                           permanent=error.permanent, retry_after=error.retry_after)
            return
        except Exception as error:  # a handler bug must not stop the engine
            log.exception("job %s (%s) crashed", job_id, job.kind)
            with self.database.writing() as db:
                queue.fail(db=db, job_id=job_id, now=self.clock.now(), error=repr(error), permanent=False)
            return
        with self.database.writing() as db:
            queue.complete(db=db, job_id=job_id, now=self.clock.now())

    def run_until(self, stop: threading.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                ran = self.tick()
            except Exception:
                log.exception("engine tick failed; trying again")
                ran = 0
            if not ran:
                stop.wait(interval)

    def start_thread(self, interval: float) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run_until, args=(stop, interval), name="warroom-engine",
                                  daemon=True)
        thread.start()
        return thread, stop
