"""The engine: claims due jobs, runs their handler outside the transaction, records the result.

A job whose engine dies after claiming it is claimed again when its lease lapses, so work is
sent at least once; receivers dedup on the idempotency key.

One tick is at most three transactions, however many jobs are due: the claim (which also runs the
transactional jobs, each in its own savepoint, and claims the jobs they made due at once), the outside work
(sends, concurrently, in threads), and one transaction that records every result of the batch.

A running engine (``run_until``) turns its managers (reminders, expiries, pruning) on a thread of their own,
beside the loop that claims and sends: a sweep that takes a while never holds back a page due now.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.db import faults
from warroom.db.engine import Database
from warroom.engine import doorbell, queue
from warroom.engine.models import Job
from warroom.observability import metrics

log = logging.getLogger("warroom.engine")

# Records what outside work did, in the transaction that marks its job done. A recorder may also carry
# ``together(db, recorders)``, which records a batch's recorders of its kind by one call (a hundred sent pages
# by one statement, not a hundred); when results are recorded one by one, each is still called on its own.
Recorder = Callable[[Session], None]
# Outside work: returns a Recorder, or None when there is nothing to record beyond "done".
Handler = Callable[[Session, Job], Recorder | None]
# Work in the database only, run in the claiming transaction: exactly once.
TransactionalHandler = Callable[[Session, Job], None]
# Reads, in the claiming transaction, what a batch of claimed jobs of one kind will need outside it: one statement
# for the batch instead of one read transaction per job (the handler takes what was read while it is fresh).
Preparer = Callable[[Session, list[Job]], None]
# Periodic work that is not a job row: run with the current time, at most once per managers_every.
Manager = Callable[[Database, datetime], None]

@dataclass(frozen=True)
class Outcome:
    """How one job's outside work ended."""

    job: Job
    recorder: Recorder | None = None
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None
    skipped: bool = False  # our lease lapsed before it ran: left for whoever claims it next


@dataclass
class Tally:
    """What one transaction did to its jobs, said (logged and counted) only once that transaction commits: a
    transaction rolled back and run again must not count or log its failures twice."""

    failed: list[tuple[Job, str, str]] = field(default_factory=list)  # job, error, "retry" or "dead"
    done: list[str] = field(default_factory=list)  # job kinds

    def say(self) -> None:
        for job, error, outcome in self.failed:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, error)
            metrics.engine_jobs.labels(kind=job.kind, outcome=outcome).inc()
        for kind in self.done:
            metrics.engine_jobs.labels(kind=kind, outcome="done").inc()


@dataclass
class Engine:
    """Runs due jobs. Two kinds of handler:

    - ``handlers`` do outside work (send a mail, call a webhook) with a read-only session and return what
      to record; the record is written afterwards, so a crash in between re-sends (at least once,
      deduplicated by the receiver);
    - ``transactional`` handlers change the database in the same transaction that marks the job done,
      so they happen exactly once (escalation steps, planning notifications).
    """

    database: Database
    clock: Clock
    handlers: dict[str, Handler] = field(default_factory=dict)
    transactional: dict[str, TransactionalHandler] = field(default_factory=dict)
    managers: list[Manager] = field(default_factory=list)
    on_dead: dict[str, TransactionalHandler] = field(default_factory=dict)
    preparers: dict[str, Preparer] = field(default_factory=dict)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    batch: int = 200
    # Outside work (sends) running at once; each holds a read connection while it loads its row.
    concurrency: int = 8
    # How long a claimed job is ours; after that another engine may take it (we are presumed dead).
    lease: timedelta = queue.LEASE
    # The managers run at most this often: a busy engine ticks on every commit that adds a job (a hundred times a
    # second under load), and the managers' reminders, expiries and pruning need no more than this.
    managers_every: timedelta = timedelta(seconds=1)
    # The engine's sign of life (engine/heartbeat.py). It turns with the jobs, on the loop that sends pages, never
    # on the managers' thread: a heartbeat written says that loop turns.
    beat: Manager | None = None
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _managed_at: datetime | None = field(default=None, init=False, repr=False)

    def tick(self) -> int:
        """Run the managers (when due) and every job due now (up to a batch), on this thread; returns how many
        jobs ran."""
        now = self.clock.now()
        if self._managers_due(now):
            self._run_managers(now)
        return self._turn()

    def _turn(self) -> int:
        """The heartbeat (when due) and every job due now, up to a batch: one turn of the loop that sends pages."""
        with metrics.engine_tick_seconds.time():
            now = self.clock.now()
            if self.beat is not None:
                self._run_manager(self.beat, now)
            outside, ran = self._claim_and_run_transactional(now)
            if outside:
                self._record(self._run_outside(outside))
            return ran

    def _managers_due(self, now: datetime) -> bool:
        last = self._managed_at
        if last is not None and last <= now < last + self.managers_every:
            return False
        self._managed_at = now
        return True

    def _run_managers(self, now: datetime) -> None:
        for manager in self.managers:
            self._run_manager(manager, now)

    def _run_manager(self, manager: Manager, now: datetime) -> None:
        try:
            manager(self.database, now)
        except Exception as error:
            if not _store_outage(error, "engine"):
                log.exception("manager %s failed; trying again next tick", getattr(manager, "__name__", manager))

    def _manage_until(self, ended: threading.Event) -> None:
        """The managers, once per ``managers_every``, until the loop ends: the running engine's second thread."""
        while not ended.is_set():
            self._run_managers(self.clock.now())
            ended.wait(self.managers_every.total_seconds())

    def _claim_and_run_transactional(self, now: datetime) -> tuple[list[Job], int]:
        """Claim due jobs and run the transactional ones; claim again, in the same transaction, what they made due
        now (an escalation step's notifications), so that work goes out in this tick without a claim of its own."""
        tally = Tally()
        outside: list[Job] = []
        ran = 0
        with self.database.writing() as db:
            done: list[int] = []
            claimed = queue.claim(db=db, now=now, owner=self.owner, limit=self.batch, lease=self.lease)
            while claimed:
                ran += len(claimed)
                db.flush()  # the claim is written before any savepoint, so no job's rollback can undo it
                before = queue.enqueued(db)
                for job in claimed:
                    if job.kind not in self.transactional:
                        outside.append(job)
                    elif self._run_transactional(db, job, tally):
                        done.append(job.id)
                if queue.enqueued(db) == before or ran >= self.batch:
                    break
                claimed = queue.claim(db=db, now=self.clock.now(), owner=self.owner, limit=self.batch - ran,
                                      lease=self.lease)
            queue.complete_many(db=db, job_ids=done, now=self.clock.now())
            db.flush()
            self._prepare(db, outside)
            db.expunge_all()  # the outside jobs travel to the workers detached, with what they carry loaded
        tally.say()
        return outside, ran

    def _prepare(self, db: Session, outside: list[Job]) -> None:
        """Each kind's preparer on its claimed jobs (two or more), in a savepoint: one that fails costs its
        handlers a read of their own, never the claim."""
        by_kind: dict[str, list[Job]] = {}
        for job in outside:
            if job.kind in self.preparers:
                by_kind.setdefault(job.kind, []).append(job)
        for kind, jobs in by_kind.items():
            if len(jobs) < 2:
                continue  # one job reads its own: a read of one row costs no more than a read ahead and its savepoint
            try:
                with db.begin_nested():
                    self.preparers[kind](db, jobs)
            except Exception:
                log.exception("reading ahead for %d %s jobs failed; each reads its own", len(jobs), kind)

    def _run_transactional(self, db: Session, job: Job, tally: Tally) -> bool:
        try:
            with db.begin_nested(), metrics.engine_job_seconds.labels(kind=job.kind).time():
                self.transactional[job.kind](db, job)
            tally.done.append(job.kind)
            return True
        except Exception as error:
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._fail(db, job, repr(error), False, None, tally)
            return False

    def _run_outside(self, jobs: list[Job]) -> list[Outcome]:
        if len(jobs) == 1 or self.concurrency <= 1:
            return [self._run_one(job) for job in jobs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="warroom-send")
        futures = [self._pool.submit(self._run_one, job) for job in jobs]
        return [future.result() for future in futures]  # re-raises what is not an Exception (a dying process)

    def _run_one(self, job: Job) -> Outcome:
        if job.lease_until is not None and self.clock.now() >= job.lease_until:
            # Our lease ran out while earlier jobs of the batch ran: another engine may hold it now.
            log.warning("job %s (%s): lease lapsed before it ran; leaving it to be claimed again", job.id, job.kind)
            return Outcome(job, skipped=True)
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise DeliveryError(f"no handler for job kind '{job.kind}'", permanent=True)
            with self.database.reading() as db, metrics.engine_job_seconds.labels(kind=job.kind).time():
                return Outcome(job, recorder=handler(db, job))
        except DeliveryError as error:
            return Outcome(job, error=str(error), permanent=error.permanent, retry_after=error.retry_after)
        except Exception as error:  # a handler bug must not stop the engine
            log.exception("job %s (%s) crashed", job.id, job.kind)
            return Outcome(job, error=repr(error))

    def _record(self, outcomes: list[Outcome]) -> None:
        """One transaction for the batch, every finished job marked done in it.

        First every result is written straight into the transaction (no savepoint per result: a savepoint and
        its own flush cost more than recording a sent page). Should any result fail to record, that
        transaction is rolled back and the batch recorded again with each result in its own savepoint, so one
        bad result fails its job alone and the rest are kept.
        """
        try:
            tally = self._record_batch(outcomes, isolate=False)
        except Exception as error:
            if faults.is_outage(error):
                raise
            log.warning("recording a batch of %d results failed (%r); recording each on its own",
                        len(outcomes), error)
            tally = self._record_batch(outcomes, isolate=True)
        tally.say()

    def _record_batch(self, outcomes: list[Outcome], *, isolate: bool) -> Tally:
        now = self.clock.now()
        tally = Tally()
        with self.database.writing() as db:
            done: list[int] = []
            together: dict[Callable[[Session, list[Recorder]], None], list[Recorder]] = {}
            for outcome in outcomes:
                if outcome.skipped:
                    continue
                if outcome.error is not None:
                    self._fail(db, outcome.job, outcome.error, outcome.permanent, outcome.retry_after, tally)
                elif not isolate:
                    if outcome.recorder is not None:
                        _record_or_gather(db, outcome.recorder, together)
                    done.append(outcome.job.id)
                    tally.done.append(outcome.job.kind)
                elif self._apply(db, outcome, tally):
                    done.append(outcome.job.id)
                    tally.done.append(outcome.job.kind)
            for record_all, recorders in together.items():
                record_all(db, recorders)
            queue.complete_many(db=db, job_ids=done, now=now)
        return tally

    def _apply(self, db: Session, outcome: Outcome, tally: Tally) -> bool:
        if outcome.recorder is None:
            return True
        try:
            with db.begin_nested():
                outcome.recorder(db)
            return True
        except Exception as error:
            log.exception("job %s (%s): recording its result failed", outcome.job.id, outcome.job.kind)
            self._fail(db, outcome.job, repr(error), False, None, tally)
            return False

    def _fail(self, db: Session, job: Job, error: str, permanent: bool, retry_after: float | None,
              tally: Tally) -> None:
        with db.begin_nested():
            dead = queue.fail(db=db, job_id=job.id, now=self.clock.now(), error=error, permanent=permanent,
                              retry_after=retry_after)
            if dead and job.kind in self.on_dead:
                self.on_dead[job.kind](db, job)
        tally.failed.append((job, error, "dead" if dead else "retry"))

    def run_until(self, stop: threading.Event, interval: float) -> None:
        """Turn until stopped: jobs on this thread (waking when a commit adds one, here or, on PostgreSQL and through
        the SQLite doorbell, in another process), the managers on their own thread."""
        ended = threading.Event()
        managing = threading.Thread(target=self._manage_until, args=(ended,), name="warroom-managers", daemon=True)
        managing.start()
        try:
            with doorbell.answering(self.database.url):
                self._loop(stop, interval)
        finally:
            ended.set()  # however the loop ended: the managers end with it
            managing.join()
            self.close()

    def _loop(self, stop: threading.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                ran = self._turn()
            except Exception as error:
                if not _store_outage(error, "engine"):
                    log.exception("engine tick failed; trying again")
                ran = 0
            if ran < self.batch:
                queue.wait_for_work(interval)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def start_thread(self, interval: float) -> tuple[threading.Thread, threading.Event]:
        stop = threading.Event()
        thread = threading.Thread(target=self.run_until, args=(stop, interval), name="warroom-engine",
                                  daemon=True)
        thread.start()
        return thread, stop


def _record_or_gather(db: Session, recorder: Recorder,
                      together: dict[Callable[[Session, list[Recorder]], None], list[Recorder]]) -> None:
    """Record now, or keep for its kind's ``together`` (see ``Recorder``)."""
    record_all = getattr(recorder, "together", None)
    if record_all is None:
        recorder(db)
    else:
        together.setdefault(record_all, []).append(recorder)


def _store_outage(error: Exception, where: str) -> bool:
    """A store outage is said once while it lasts (no traceback every tick); the engine tries again next tick."""
    if not faults.is_outage(error):
        return False
    faults.outages.failed(error, where)
    return True
