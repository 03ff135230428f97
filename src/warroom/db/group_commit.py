"""Group commit: many small writes that arrive together share one transaction.

Ingest endpoints answer only after their write is committed. Giving every event its own transaction
makes the transaction (begin, commit, a connection, a lock) the cost of ingest; here a writer thread takes
whatever has queued up meanwhile, runs each piece of work in one transaction, commits once, then answers
every caller. If one piece of work fails, the batch is rolled back and each piece runs again in a
transaction of its own, so a bad event fails alone and nothing is half-written.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from warroom.db.engine import Database

log = logging.getLogger("warroom.db")
T = TypeVar("T")
MAX_BATCH = 256


@dataclass
class _Item(Generic[T]):
    work: Callable[[Session], T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]

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
        self._queues[hash(partition) % self.writers].put(_Item(work, loop, future))
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
        try:
            with self.database.writing() as db:
                results = [item.work(db) for item in batch]
        except BaseException as error:
            if len(batch) == 1 or isinstance(error, OperationalError):
                # One piece of work, or the store itself failing (down, locked): every caller hears it.
                for item in batch:
                    item.reject(error)
                return
            for item in batch:  # one at a time, so the bad one fails alone and the rest still land
                self._commit([item])
            return
        for item, result in zip(batch, results, strict=True):
            item.resolve(result)
