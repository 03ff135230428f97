"""Group commit: many small writes that arrive together share one transaction.

Ingest endpoints answer only after their write is committed. Giving every event its own transaction
makes the transaction (begin, commit, a connection, a lock) the cost of ingest; here a writer thread takes
whatever has queued up meanwhile, runs each piece of work in one transaction, commits once, then answers
every caller. If one piece of work fails, the batch is rolled back and each piece runs again in a
transaction of its own, so a bad event fails alone and nothing is half-written.

Several processes commit batches at once on PostgreSQL. A batch takes its row locks in the order of its
partitions (dedup keys), so two batches seldom wait on each other crosswise; when they do, PostgreSQL
aborts one with a deadlock (or a serialization failure). That batch runs once more whole, then each piece
alone, each retried a few times after a short random pause, so a conflict between processes costs time,
never a refused event. A store outage (down, full, failing) is not retried here: every caller hears it
at once, and answers 503.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from warroom.db import faults
from warroom.db.engine import Database

log = logging.getLogger("warroom.db")
T = TypeVar("T")
MAX_BATCH = 256
CONFLICT_ATTEMPTS = 6  # a piece of work alone, after its batch met a deadlock or serialization failure twice
CONFLICT_PAUSE_SECONDS = 0.02  # the first pause before a retry; doubled each time, with random jitter


@dataclass
class _Item(Generic[T]):
    work: Callable[[Session], T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    partition: str = ""

    def resolve(self, result: T) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, result, None)

    def reject(self, error: BaseException) -> None:
        self.loop.call_soon_threadsafe(_settle, self.future, None, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller went away (its client disconnected): the write stands regardless
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class GroupCommitter:
    """Writer threads that commit queued work in batches; ``await committer.run(work)`` from async code."""

    def __init__(self, database: Database, *, writers: int | None = None, max_batch: int = MAX_BATCH) -> None:
        self.database = database
        self.max_batch = max_batch
        # SQLite has one writer at a time anyway; PostgreSQL takes a few at once.
        self.writers = writers or (1 if database.dialect == "sqlite" else 2)
        self._queues: list[queue.SimpleQueue[_Item[Any] | None]] = [queue.SimpleQueue() for _ in range(self.writers)]
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Session], T], *, partition: str = "") -> T:
        """Run ``work`` in a write transaction shared with other callers; return once it is committed.

        Work with the same ``partition`` (say, an alert's dedup key) always goes to the same writer, so two
        writers never wait on each other's row locks for it (nor deadlock over two of them).
        """
        self._ensure_started()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queues[hash(partition) % self.writers].put(_Item(work, loop, future, partition))
        return await future

    def _ensure_started(self) -> None:
        if self._threads:
            return
        with self._lock:
            if self._threads:
                return
            for n in range(self.writers):
                thread = threading.Thread(target=self._serve, args=(self._queues[n],),
                                          name=f"warroom-group-commit-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def close(self) -> None:
        with self._lock:
            for pending in self._queues[: len(self._threads)]:
                pending.put(None)
            for thread in self._threads:
                thread.join(timeout=10)
            self._threads = []

    def _serve(self, pending: queue.SimpleQueue[_Item[Any] | None]) -> None:
        while True:
            first = pending.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Item[Any]]) -> None:
        # Row locks in one order in every process (stable: one partition's work keeps its order).
        batch = sorted(batch, key=lambda item: item.partition)
        failure = self._attempt(batch)
        if failure is not None and faults.is_conflict(failure):
            failure = self._attempt(batch)  # crossed another process's transaction: once more, together
        if failure is None:
            return
        if _store_down(failure) or (len(batch) == 1 and not faults.is_conflict(failure)):
            # The store itself failing (down, full, locked), or one piece of work that failed: callers hear it.
            for item in batch:
                item.reject(failure)
            return
        for item in batch:  # one at a time, so the bad one fails alone and the rest still land
            self._commit_alone(item)

    def _commit_alone(self, item: _Item[Any]) -> None:
        attempt = 1
        failure = self._attempt([item])
        while failure is not None and faults.is_conflict(failure) and attempt < CONFLICT_ATTEMPTS:
            time.sleep(conflict_pause(attempt))
            attempt += 1
            failure = self._attempt([item])
        if failure is not None:
            item.reject(failure)

    def _attempt(self, batch: list[_Item[Any]]) -> BaseException | None:
        """Run the batch in one transaction and answer its callers; or return why it was rolled back."""
        try:
            with self.database.writing() as db:
                results = [item.work(db) for item in batch]
        except BaseException as error:  # handed to the callers, who answer it
            return error
        for item, result in zip(batch, results, strict=True):
            item.resolve(result)
        return None


def _store_down(error: BaseException) -> bool:
    return faults.is_outage(error) and not faults.is_conflict(error)


def conflict_pause(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` + 1: doubling, jittered so two processes do not collide again."""
    return CONFLICT_PAUSE_SECONDS * 2.0 ** (attempt - 1) * random.uniform(0.5, 1.5)
