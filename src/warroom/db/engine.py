"""Engines and sessions for SQLite (WAL, one writer at a time) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "warroom_write"


def normalise_url(url: str) -> str:
    """Let people paste ``postgresql://`` or ``postgres://`` URLs; we speak psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, prepared_statements: bool = True, **kwargs: Any) -> Engine:
    """``prepared_statements``: False behind a transaction pooler (PgBouncer in transaction mode), where a statement
    prepared in one transaction's server connection is unknown to the next one's."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    if not prepared_statements:
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "prepare_threshold": None}
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=10, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below choose the BEGIN statement.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front so two writers never deadlock on an upgrade.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


class _ProcessLock:
    """An exclusive flock on ``<database>.writer-lock``, re-entrant within the thread that holds the writer lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._depth = 0

    @classmethod
    def for_sqlite(cls, url: str) -> _ProcessLock | None:
        database = sa.engine.make_url(url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(Path(f"{database}.writer-lock"))

    @contextmanager
    def held(self) -> Iterator[None]:
        """Only ever entered under the in-process writer lock, so one thread at a time touches the counters."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._fd
        if self._depth == 0:
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Database:
    """The engine plus two session factories: one for reads, one for writes."""

    def __init__(self, url: str, *, engine: Engine | None = None, prepared_statements: bool = True,
                 **kwargs: Any) -> None:
        """``engine``: one made by ``make_engine`` for this url, to reuse its pool and statement cache."""
        self.url = normalise_url(url)
        self.engine = (make_engine(self.url, prepared_statements=prepared_statements, **kwargs) if engine is None
                       else engine)
        self.dialect = self.engine.dialect.name
        # What every session of this database starts with in ``Session.info`` (settings the domains read, such
        # as where unrouted alerts page), filled in by the composition that owns the database.
        self.session_info: dict[str, Any] = {}
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, info=self.session_info)
        self._write = sessionmaker(
            bind=self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False,
            info=self.session_info,
        )
        self._writer_lock: AbstractContextManager[Any] = (
            threading.RLock() if self.dialect == "sqlite" else nullcontext()
        )
        self._process_lock = _ProcessLock.for_sqlite(self.url) if self.dialect == "sqlite" else None

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error.

        On SQLite, writers queue on a lock first: SQLite lets one writer in at a time anyway, and its own
        busy handler makes waiters sleep in growing steps (up to 100 ms), which wrecks tail latency. Threads
        of this process queue on a lock in memory, processes on a lock file beside the database (flock), so
        a waiter wakes the moment the writer before it is done.
        """
        with self._writer_lock, self._between_processes(), self._write() as session, session.begin():
            yield session

    def _between_processes(self) -> AbstractContextManager[Any]:
        return self._process_lock.held() if self._process_lock is not None else nullcontext()

    def read_session(self) -> Session:
        return self._read()

    def ping(self) -> None:
        """Raise if the store cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self._process_lock is not None:
            self._process_lock.close()
