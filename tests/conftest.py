"""Test harness: every test gets a migrated, empty database on the store under test.

The store is SQLite unless WARROOM_TEST_DATABASE_URL names a PostgreSQL server; then a
fresh database is created for the run, migrated from empty, and truncated between tests.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.config import Settings
from warroom.core import security
from warroom.core.clock import FakeClock
from warroom.db import migrate
from warroom.db.engine import Database, make_engine, normalise_url
from warroom.runtime import Runtime

from .factories import Factory

PG_URL = os.environ.get("WARROOM_TEST_DATABASE_URL", "")

# The suite hashes well over a thousand passwords, and scrypt at the product's cost takes ~200 ms each. Inside the
# test process only, passwords are hashed at a cheap cost; a stored hash names its own cost, so verifying one is
# the same code either way. Processes the tests start (`warroom serve`, the CLI) keep the product's cost.
security._SCRYPT_N = 2**4


def _is_postgres() -> bool:
    return PG_URL.startswith(("postgres", "postgresql"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"warroom store: {'postgresql' if _is_postgres() else 'sqlite'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set WARROOM_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


_LOGGERS = ("warroom", "warroom.access", "uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """A test that sets logging up (an in-process `warroom serve` does) leaves it as it found it: otherwise every
    later test in the worker logs to stderr, where CLI tests read exactly one line."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    saved = [(lg.handlers[:], lg.propagate, lg.level, lg.disabled) for lg in loggers]
    yield
    for lg, (handlers, propagate, level, disabled) in zip(loggers, saved, strict=True):
        lg.handlers[:] = handlers
        lg.propagate, lg.level, lg.disabled = propagate, level, disabled


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database: a SQLite file copied per test, or a PostgreSQL database for the run."""
    if _is_postgres():
        admin_url = normalise_url(PG_URL)
        name = f"warroom_test_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            # The run's own database: a commit need not wait for its WAL flush (what a crash of the test server
            # would lose is a test database nobody keeps). The shared server's other databases are untouched.
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        migrate.upgrade(f"sqlite:///{path}")
        yield str(path)


class _PostgresCleaner:
    """Empties the run's PostgreSQL database between tests: only the tables a test wrote to, by DELETE.

    TRUNCATE of all ~60 tables rewrote every table and index file (~0.4 s a test); an EXISTS probe over every
    table costs a few milliseconds, and deleting the handful of rows a test left is cheaper still. Foreign keys
    are not checked during the sweep (session_replication_role), and every sequence that was used starts again
    at 1, as RESTART IDENTITY did.
    """

    def __init__(self, url: str) -> None:
        # Pre-ping: fault tests terminate the database's connections, this one included.
        self.engine = sa.create_engine(url, pool_size=1, pool_pre_ping=True)
        with self.engine.connect() as conn:
            self.tables = [r[0] for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")]
        self.probe = " UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in self.tables)

    def clean(self) -> None:
        with self.engine.begin() as conn:
            dirty = [r[0] for r in conn.exec_driver_sql(self.probe)]
            if dirty:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table in dirty:
                    conn.exec_driver_sql(f'DELETE FROM "{table}"')
            used = [r[0] for r in conn.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")]
            for sequence in used:
                conn.exec_driver_sql(f'ALTER SEQUENCE "{sequence}" RESTART')

    def dispose(self) -> None:
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_cleaner(database_template: str) -> Iterator[_PostgresCleaner | None]:
    if not _is_postgres():
        yield None
        return
    cleaner = _PostgresCleaner(database_template)
    yield cleaner
    cleaner.dispose()


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this worker's SQLite database lives: one path for every test, so one engine serves them all."""
    return tmp_path_factory.mktemp("store") / "warroom.db"


@pytest.fixture
def database_url(database_template: str, postgres_cleaner: _PostgresCleaner | None, store_path: Path) -> str:
    if postgres_cleaner is not None:
        postgres_cleaner.clean()
        return database_template
    # A fresh copy of the migrated template, renamed into place: a connection somebody left open keeps the old
    # file, never sees a half-copied one.
    for leftover in (store_path.with_name(store_path.name + "-wal"), store_path.with_name(store_path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    fresh = store_path.with_name("fresh.db")
    shutil.copyfile(database_template, fresh)
    os.replace(fresh, store_path)
    return f"sqlite:///{store_path}"


@pytest.fixture(scope="session")
def engines() -> Iterator[dict[str, sa.Engine]]:
    """One engine per database url for the whole run: its compiled-statement cache and (on PostgreSQL) its
    connections outlive each test, which otherwise compiled every statement again and opened new connections."""
    made: dict[str, sa.Engine] = {}
    yield made
    for engine in made.values():
        engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret-key",
                    seed_demo=False, run_engine=False, base_url="http://warroom.test",
                    outbound_allow="127.0.0.0/8,::1/128")  # webhooks go to receivers on this machine


@pytest.fixture
def runtime(settings: Settings, clock: FakeClock, engines: dict[str, sa.Engine]) -> Iterator[Runtime]:
    url = normalise_url(settings.resolved_database_url())
    engine = engines.get(url) or engines.setdefault(url, make_engine(url))
    rt = Runtime(settings, Database(url, engine=engine), clock)
    yield rt
    if rt.database.dialect == "sqlite":
        rt.database.dispose()  # the next test's database is a new file: no pooled connection may keep this one
    # On PostgreSQL the pool's connections serve the next test too (checked with a ping when taken), as ``engines``
    # says: closing and opening them for every test cost a connection set-up per test and connection.


@pytest.fixture
def factory(runtime: Runtime) -> Factory:
    return Factory(runtime)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_engine=False)) as test_client:
        yield test_client
