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
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.core.clock import Clock
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.integrations.webhooks import DeliveryError

log = logging.getLogger("warroom.engine")

Handler = Callable[[Session, Job], None]
# Periodic work that is not a job row: ticked every engine loop with the current time.
Manager = Callable[[Database, datetime], None]


@dataclass
class Engine:
    """Runs due jobs. Two kinds of handler:

    - ``handlers`` do outside work (send a mail, call a webhook) with a read-only session; the result is
      recorded afterwards, so a crash in between re-sends (at least once, deduplicated by the receiver);
    - ``transactional`` handlers change the database in the same transaction that marks the job done,
      so they happen exactly once (escalation steps, planning notifications).
    """

    database: Database
    clock: Clock
    handlers: dict[str, Handler] = field(default_factory=dict)
    transactional: dict[str, Handler] = field(default_factory=dict)
    managers: list[Manager] = field(default_factory=list)
    on_dead: dict[str, Handler] = field(default_factory=dict)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 100
    # How long a claimed job is ours; after that another engine may take it (we are presumed dead).
    lease: timedelta = queue.LEASE

    def tick(self) -> int:
        """Run the managers and every job due now; returns how many jobs ran."""
        now = self.clock.now()
        for manager in self.managers:
            try:
                manager(self.database, now)
            except Exception:
                log.exception("manager %s failed; trying again next tick", getattr(manager, "__name__", manager))
        with self.database.writing() as db:
            claimed = queue.claim(db=db, now=now, owner=self.owner, limit=self.batch, lease=self.lease)
            jobs = [(job.id, job) for job in claimed]
        for job_id, job in jobs:
            self._run(job_id, job)
        return len(jobs)

    def _run(self, job_id: int, job: Job) -> None:
        if job.lease_until is not None and self.clock.now() >= job.lease_until:
            # Our lease ran out while earlier jobs of the batch ran: another engine may hold it now.
            log.warning("job %s (%s): lease lapsed before it ran; leaving it to be claimed again", job_id, job.kind)
            return
        if job.kind in self.transactional:
            self._run_transactional(job_id, job)
            return
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise DeliveryError(f"no handler for job kind '{job.kind}'", permanent=True)
            with self.database.reading() as db:
                handler(db, job)
        except DeliveryError as error:
            self._failed(job_id, job, str(error), error.permanent, error.retry_after)
            return
        except Exception as error:  # a handler bug must not stop the engine
            log.exception("job %s (%s) crashed", job_id, job.kind)
            self._failed(job_id, job, repr(error), False, None)
            return
        with self.database.writing() as db:
            queue.complete(db=db, job_id=job_id, now=self.clock.now())

    def _run_transactional(self, job_id: int, job: Job) -> None:
        try:
            with self.database.writing() as db:
                self.transactional[job.kind](db, job)
                queue.complete(db=db, job_id=job_id, now=self.clock.now())
        except Exception as error:
            log.exception("job %s (%s) failed", job_id, job.kind)
            self._failed(job_id, job, repr(error), False, None)

    def _failed(self, job_id: int, job: Job, error: str, permanent: bool, retry_after: float | None) -> None:
        log.warning("job %s (%s) failed: %s", job_id, job.kind, error)
        with self.database.writing() as db:
            dead = queue.fail(db=db, job_id=job_id, now=self.clock.now(), error=error, permanent=permanent,
                              retry_after=retry_after)
            if dead and job.kind in self.on_dead:
                self.on_dead[job.kind](db, job)

    def run_until(self, stop: threading.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                ran = self.tick()
            except Exception:
                log.exception("engine tick failed; trying again")
                ran = 0
            if ran < self.batch:
                stop.wait(interval)

    def start_thread(self, interval: float) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run_until, args=(stop, interval), name="warroom-engine",
                                  daemon=True)
        thread.start()
        return thread, stop
