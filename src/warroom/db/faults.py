"""Telling a store fault from a bug, by the codes the database gives, never by its message text.

A *store outage* is the database being unable to serve right now: the server is down, shutting down,
starting up or unreachable; the connection broke; the disk is full or failing; the store is busy past
its timeout. The right answer to a caller is 503 with Retry-After, and the same request later succeeds.
A *conflict* (a deadlock or a serialization failure between two transactions) is also transient, and the
writer retries it itself before answering anything.

PostgreSQL says which by SQLSTATE (psycopg: ``error.sqlstate``); a connection that never opened or broke
has no SQLSTATE and a pgconn that is not OK. SQLite says which by its result code (Python 3.11:
``error.sqlite_errorcode``; the low byte is the primary code).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

log = logging.getLogger("warroom.db")

# PostgreSQL SQLSTATE classes and codes that mean "the store cannot serve now", not "bad SQL".
OUTAGE_CLASSES = (
    "08",  # connection exception
    "53",  # insufficient resources: disk full (53100), out of memory, too many connections
    "58",  # system error: I/O error, an undefined file
)
OUTAGE_CODES = frozenset({
    "57P01",  # admin shutdown ("terminating connection due to administrator command")
    "57P02",  # crash shutdown
    "57P03",  # cannot connect now ("the database system is starting up / shutting down")
    "57P04",  # database dropped
    "57P05",  # idle session timeout
    "55P03",  # lock not available (lock_timeout)
    "57014",  # query canceled (statement_timeout: the store is overloaded)
})
CONFLICT_CODES = frozenset({
    "40001",  # serialization failure
    "40P01",  # deadlock detected
})

# SQLite primary result codes that mean the store itself is failing or busy.
SQLITE_OUTAGES = frozenset({
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL,
})


def sqlstate(error: BaseException) -> str | None:
    """The PostgreSQL SQLSTATE of a (wrapped) driver error, if the server sent one."""
    code = getattr(_driver_error(error), "sqlstate", None)
    return code if isinstance(code, str) else None


def is_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure: running the same transaction again can succeed."""
    return sqlstate(error) in CONFLICT_CODES


def is_outage(error: BaseException) -> bool:
    """The store cannot serve right now (down, restarting, unreachable, full, failing, busy): answer 503."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    orig = _driver_error(error)
    if isinstance(orig, sqlite3.Error):
        return _sqlite_outage(orig)
    code = sqlstate(error)
    if code is not None:
        return code[:2] in OUTAGE_CLASSES or code in OUTAGE_CODES or code in CONFLICT_CODES
    return _connection_lost(orig)


def _driver_error(error: BaseException) -> BaseException:
    orig = error.orig if isinstance(error, DBAPIError) else None
    return orig if isinstance(orig, BaseException) else error


def _sqlite_outage(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and (code & 0xFF) in SQLITE_OUTAGES


def _connection_lost(error: BaseException) -> bool:
    """A psycopg error without SQLSTATE comes from the client side: no connection, or a broken one."""
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    pgconn: Any = getattr(error, "pgconn", None)
    return isinstance(error, psycopg.Error) and pgconn is not None and pgconn.status != pq.ConnStatus.OK


class OutageLog:
    """Say once that the store is failing, and once that it answers again, not a line (or a traceback) per call.

    While it keeps failing, one more line every ``repeat_seconds``; a store that flaps (fails, recovers, fails
    again) is announced at most once in ``repeat_seconds`` too, its failed calls counted in the next line.
    """

    def __init__(self, *, repeat_seconds: float = 60.0) -> None:
        self.repeat_seconds = repeat_seconds
        self._lock = threading.Lock()
        self._since: float | None = None  # when the current outage began
        self._told = False  # the current outage was announced, so its end will be too
        self._said_at = -repeat_seconds
        self._failures = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException, where: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures += 1
            if self._since is None:
                self._since = now
            if now - self._said_at < self.repeat_seconds:
                return
            again, failures = self._told, self._failures
            self._said_at, self._told = now, True
        if again:
            log.warning("store still unavailable after %d failed calls (%s): %s", failures, where, describe(error))
        else:
            log.warning("store unavailable (%s): %s; answering 503 until it recovers", where, describe(error))

    def recovered(self) -> None:
        if self._since is None:
            return
        with self._lock:
            if self._since is None:
                return
            took, failures, told = time.monotonic() - self._since, self._failures, self._told
            self._since, self._told = None, False
            if told:
                self._failures = 0
        if told:
            log.warning("store answering again after %.1f s (%d failed calls)", took, failures)


def describe(error: BaseException) -> str:
    """The driver's code and first line: enough to act on, no traceback."""
    orig = _driver_error(error)
    code = sqlstate(error) or getattr(orig, "sqlite_errorname", None) or type(orig).__name__
    first_line = (str(orig).strip().splitlines() or [""])[0]
    return f"{code}: {first_line}"


outages = OutageLog()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the write is not through yet
    outages.recovered()  # a write went through: the store takes writes again
