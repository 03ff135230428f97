"""Tell every Warroom process on one PostgreSQL what a commit changed, the moment it commits (LISTEN/NOTIFY).

A write marks on its session what it changed, as topics: a live channel (``live:incident:7``), new jobs
(``jobs``), who may do what (``credentials``). Then:

- on PostgreSQL, just before the commit, the topics go out with ``pg_notify`` on the session's own connection,
  inside its transaction: PostgreSQL delivers them only if the transaction commits, and never before;
- after the commit, in this process, the topics are handed to the handlers at once (SSE streams, the engine,
  the remembered API tokens), on both stores;
- each process LISTENs on one connection of its own (``listening``), opened directly to PostgreSQL and never
  taken from the pool, and hands what other processes committed to the same handlers. The pool's connections
  may therefore go through PgBouncer in transaction mode (NOTIFY works there, LISTEN does not); the listening
  connection goes to PostgreSQL itself (WARROOM_LISTEN_DATABASE_URL when the database URL is PgBouncer's).

Nothing depends on a notification arriving: streams re-read on a short poll and the engine ticks, so a lost
connection or SQLite (which has no NOTIFY) only makes other processes' changes arrive later.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
import select
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("warroom.live")

CHANNEL = "warroom"
PAYLOAD_BYTES = 7000  # PostgreSQL refuses a payload of 8000 bytes or more; topics are joined up to this
# Each payload's first line names the process that committed it. The listener drops its own process's: they
# were handed to the handlers at the commit already, and a second time would wake every stream and the
# engine again. Host and pid tell processes apart (a forked worker has its own pid); the random part, two
# hosts of one name.
ORIGIN_PREFIX = "from:"
_BOOT = secrets.token_hex(4)
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)  # waits between tries after the listening connection is lost
_MARKED = "warroom_notify_topics"


def origin() -> str:
    """This process's first line of a payload."""
    return _origin(os.getpid())


@functools.cache
def _origin(pid: int) -> str:  # once per process, not once per commit
    return f"{ORIGIN_PREFIX}{socket.gethostname()[:64]} {pid} {_BOOT}"

Handler = Callable[[str], None]
_handlers: list[Handler] = []


def on_topic(handler: Handler) -> Handler:
    """Call ``handler(topic)`` for every topic committed, in this process or (on PostgreSQL) in another."""
    _handlers.append(handler)
    return handler


def mark(db: Session, *topics: str) -> None:
    """These topics change when the session's transaction commits (and not if it rolls back)."""
    db.info.setdefault(_MARKED, set()).update(topics)


def deliver(topics: Iterable[str]) -> None:
    for topic in topics:
        for handler in _handlers:
            try:
                handler(topic)
            except Exception:
                log.exception("live topic %r: a handler failed", topic)


def payloads(topics: Iterable[str], limit: int = PAYLOAD_BYTES) -> list[str]:
    """The topics joined by newlines into payloads of at most ``limit`` bytes."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for topic in sorted(topics):
        length = len(topic.encode()) + 1
        if current and size + length > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(topic)
        size += length
    if current:
        chunks.append("\n".join(current))
    return chunks


# A savepoint's end fires the session's commit and rollback events too: only the transaction's own end counts.
@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    topics: set[str] | None = session.info.get(_MARKED)
    if not topics or session.in_nested_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    first = origin()
    for payload in payloads(topics, PAYLOAD_BYTES - len(first.encode()) - 1):
        session.execute(sa.text("SELECT pg_notify(:channel, :payload)"),
                        {"channel": CHANNEL, "payload": f"{first}\n{payload}"})


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: nothing is committed yet
    topics: Any = session.info.pop(_MARKED, None)
    if topics:
        deliver(topics)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint rolled back leaves the marks (a wake-up too many is harmless)
        session.info.pop(_MARKED, None)


# Listening ---------------------------------------------------------------------------------------------

EVERYTHING = "*"  # handed to the handlers after (re)connecting: what was missed meanwhile is unknown


def conninfo(database_url: str) -> str | None:
    """A libpq URL for ``database_url`` when it is PostgreSQL (None for SQLite)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """One thread and one direct connection that LISTEN for other processes' commits."""

    def __init__(self, conninfo: str, *, wait: float = 0.25) -> None:
        self.conninfo = conninfo
        self.wait = wait  # how long one wait for notifications lasts at most (a stop ends it at once)
        self.listening = threading.Event()
        self._stop = threading.Event()
        # Written to by stop(): the wait for notifications also watches this pipe, so a stop is seen at once.
        self._stopped_r, self._stopped_w = os.pipe()
        self._pipe_lock = threading.Lock()  # the pipe is closed when the thread ends: never written after that
        self._pipe_open = True
        self._thread = threading.Thread(target=self._run, name="warroom-listen", daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 0.0) -> None:
        """Stop listening; the thread closes its connection at once (joined up to ``timeout``)."""
        self._stop.set()
        with self._pipe_lock:
            if self._pipe_open:
                os.write(self._stopped_w, b"x")
        if timeout:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._keep_listening()
        finally:
            with self._pipe_lock:
                self._pipe_open = False
                os.close(self._stopped_r)
                os.close(self._stopped_w)

    def _keep_listening(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
                failures = 0
            except Exception as error:
                self.listening.clear()
                pause = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                if failures == 0:
                    log.warning("not listening for other processes' changes (%s); trying again, meanwhile "
                                "they arrive at the next poll", error.__class__.__name__)
                failures += 1
                self._stop.wait(pause)

    def _listen(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, application_name="warroom-listen") as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            deliver([EVERYTHING])
            own = origin()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=0):  # what has arrived (and what came with the LISTEN)
                    topics = note.payload.split("\n")
                    if topics[0] == own:
                        continue  # this process's commit: its handlers heard it then
                    deliver(topics[1:] if topics[0].startswith(ORIGIN_PREFIX) else topics)
                # Then wait for more, or for stop(): whichever comes first, at most ``wait``.
                select.select([conn.fileno(), self._stopped_r], [], [], self.wait)


@contextmanager
def listening(database_url: str) -> Iterator[Listener | None]:
    """Listen for other processes' commits while the block runs (on PostgreSQL; nothing on SQLite)."""
    info = conninfo(database_url)
    if info is None:
        yield None
        return
    listener = Listener(info).start()
    try:
        yield listener
    finally:
        listener.stop(timeout=listener.wait + 1.0)  # gone when the block ends: no late delivery after it
