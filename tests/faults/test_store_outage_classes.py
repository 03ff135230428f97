"""A store outage is told from a bug by SQLSTATE (PostgreSQL) and result code (SQLite), never by message text.

PostgreSQL restarting answers "the database system is shutting down / is starting up / is not yet accepting
connections"; those calls used to answer 500 without Retry-After. Every outage class answers 503 with
Retry-After; bad SQL stays a 500 (a bug to fix, not a reason to retry).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import errors as pg_errors
from starlette.requests import Request

from tests.faults.support import (
    PrivatePostgres,
    drive,
    fault_table,
    pagerduty_key,
    postgres_bin,
    start_serve,
    trigger,
)
from warroom.accounts import service as accounts
from warroom.api.app import create_app
from warroom.api.compat.formats.pagerduty import events
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.db import faults, migrate
from warroom.db.engine import Database, normalise_url
from warroom.runtime import Runtime
from warroom.web.live import RETRY_MS, Event, stream

# What PostgreSQL sends while it restarts, is killed, or runs out of room; and conflicts between transactions.
OUTAGES = {
    "57P01": "terminating connection due to administrator command",
    "57P02": "terminating connection because of crash of another server process",
    "57P03": "the database system is starting up",
    "08006": "could not receive data from server",
    "08001": "could not connect to server",
    "53100": 'could not extend file "base/16384/16385": No space left on device',
    "53300": "sorry, too many clients already",
    "58030": 'could not write to file "pg_wal/xlogtemp.123": Input/output error',
    "40P01": "deadlock detected",
    "40001": "could not serialize access due to concurrent update",
}
# Bugs: bad SQL or data. Their text even names a connection, which must not make them an outage.
NOT_OUTAGES = {
    "23505": "duplicate key value violates unique constraint (connection refused)",
    "42P01": 'relation "alerts" does not exist',
    "22P02": "invalid input syntax for type integer: \"the database system is starting up\"",
}
STATEMENT = "INSERT INTO alerts (alias) VALUES (%(alias)s)"


def pg_error(code: str, message: str) -> sa.exc.DBAPIError:
    """A psycopg error of the class PostgreSQL's SQLSTATE maps to, wrapped as SQLAlchemy wraps it."""
    orig = pg_errors.lookup(code)(message)
    return sa.exc.DBAPIError.instance(STATEMENT, {}, orig, psycopg.Error)


@pytest.mark.parametrize("code", sorted(OUTAGES))
def test_each_postgresql_outage_class_is_an_outage(code: str) -> None:
    assert faults.is_outage(pg_error(code, OUTAGES[code])), code


@pytest.mark.parametrize("code", sorted(NOT_OUTAGES))
def test_bad_sql_is_not_an_outage_whatever_its_message_says(code: str) -> None:
    assert not faults.is_outage(pg_error(code, NOT_OUTAGES[code])), code


def test_deadlocks_and_serialization_failures_are_conflicts_to_retry() -> None:
    assert faults.is_conflict(pg_error("40P01", OUTAGES["40P01"]))
    assert faults.is_conflict(pg_error("40001", OUTAGES["40001"]))
    assert not faults.is_conflict(pg_error("57P03", OUTAGES["57P03"]))


# SQLite: real errors from a real file ------------------------------------------------------------------------


def sqlite_error(tmp_path: Path, provoke: Callable[[sa.Connection], object]) -> sa.exc.DBAPIError:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.db'}", connect_args={"timeout": 0})
    try:
        with engine.connect() as conn:
            with pytest.raises(sa.exc.DBAPIError) as raised:
                provoke(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return raised.value


def _full(conn: sa.Connection) -> None:
    conn.exec_driver_sql("PRAGMA max_page_count = 3")  # the file may not grow: SQLITE_FULL, as on a full disk
    for _ in range(100):
        conn.exec_driver_sql("INSERT INTO t VALUES (?)", (("x" * 4000),))


def test_sqlite_full_busy_and_cantopen_are_outages_and_bad_sql_is_not(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "store.db") as setup:
        setup.execute("CREATE TABLE t (x TEXT)")
    setup.close()
    full = sqlite_error(tmp_path, _full)
    assert isinstance(full.orig, sqlite3.Error) and full.orig.sqlite_errorname == "SQLITE_FULL"
    assert faults.is_outage(full)

    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    busy = sqlite_error(tmp_path, lambda conn: conn.exec_driver_sql("SELECT * FROM t").all())
    holder.execute("ROLLBACK")
    holder.close()
    assert isinstance(busy.orig, sqlite3.Error) and busy.orig.sqlite_errorname == "SQLITE_BUSY"
    assert faults.is_outage(busy)

    folder = tmp_path / "a-directory"
    folder.mkdir()
    cannot_open = sa.create_engine(f"sqlite:///{folder}")
    with pytest.raises(sa.exc.DBAPIError) as raised:
        cannot_open.connect()
    cannot_open.dispose()
    assert faults.is_outage(raised.value)

    bad_sql = sqlite_error(tmp_path, lambda conn: conn.exec_driver_sql("SELECT * FROM no_such_table"))
    assert isinstance(bad_sql.orig, sqlite3.Error) and bad_sql.orig.sqlite_errorname == "SQLITE_ERROR"
    assert not faults.is_outage(bad_sql)


# What callers get ----------------------------------------------------------------------------------------------


@pytest.fixture
def failing_app(runtime: Runtime) -> Iterator[tuple[TestClient, list[BaseException]]]:
    """The real app, where the next store call raises what the test puts in the list."""
    raising: list[BaseException] = []
    app: FastAPI = create_app(runtime, run_engine=False)

    def store_call() -> None:
        raise raising[0]

    app.add_api_route("/api/v1/store-call", store_call, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, raising


@pytest.mark.parametrize("code", sorted(OUTAGES))
def test_every_outage_class_answers_503_with_retry_after_at_ingest_and_the_api(
        failing_app: tuple[TestClient, list[BaseException]], monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    client, raising = failing_app
    raising.append(pg_error(code, OUTAGES[code]))

    def process(**_: object) -> str:
        raise raising[0]

    monkeypatch.setattr(events, "process", process)
    ingest = client.post("/v2/enqueue", json=trigger("0" * 32, "checkout"))
    assert ingest.status_code == 503, (code, ingest.text)
    assert ingest.headers["retry-after"].isdigit()
    api = client.post("/api/v1/store-call")
    assert api.status_code == 503, (code, api.text)
    assert api.headers["retry-after"].isdigit()
    assert api.headers["content-type"].startswith("application/problem+json")


def test_bad_sql_is_still_a_500(failing_app: tuple[TestClient, list[BaseException]]) -> None:
    client, raising = failing_app
    raising.append(pg_error("42P01", NOT_OUTAGES["42P01"]))
    answer = client.post("/api/v1/store-call")
    assert answer.status_code == 500
    assert "retry-after" not in answer.headers


def test_an_outage_is_logged_once_not_a_traceback_per_call(
        failing_app: tuple[TestClient, list[BaseException]], caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    client, raising = failing_app
    raising.append(pg_error("53100", OUTAGES["53100"]))
    monkeypatch.setattr(faults, "outages", faults.OutageLog())  # not what an earlier test left
    with caplog.at_level("WARNING"):
        for _ in range(20):
            assert client.post("/api/v1/store-call").status_code == 503
        faults.outages.recovered()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store ")]
    assert len(said) == 2, said
    assert said[0].startswith("store unavailable (POST /api/v1/store-call): 53100: could not extend file")
    assert said[1].startswith("store answering again after") and "(20 failed calls)" in said[1]
    assert not any(r.exc_info for r in caplog.records)


# A real PostgreSQL, restarted --------------------------------------------------------------------------------

needs_own_postgres = pytest.mark.skipif(
    postgres_bin() is None or os.geteuid() != 0,
    reason="needs /usr/lib/postgresql/*/bin/initdb and root (to run a private cluster as the postgres user)")


@pytest.fixture
def own_postgres() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin()
    assert bin_dir is not None
    cluster = PrivatePostgres(bin_dir, Path(tempfile.mkdtemp(prefix="warroom-pg-"))).init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


@needs_own_postgres
def test_real_errors_of_a_postgresql_restart_are_all_outages(own_postgres: PrivatePostgres) -> None:
    engine = sa.create_engine(normalise_url(own_postgres.url), pool_pre_ping=False)
    held = engine.connect()
    held.exec_driver_sql("SELECT 1")
    seen: list[sa.exc.DBAPIError] = []
    stop = threading.Event()

    def connect_again_and_again() -> None:
        while not stop.is_set():
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
            except sa.exc.DBAPIError as error:
                seen.append(error)
            time.sleep(0.002)

    worker = threading.Thread(target=connect_again_and_again)
    worker.start()
    try:
        own_postgres.restart("fast")
        own_postgres.restart("immediate")
        with pytest.raises(sa.exc.DBAPIError) as ended:  # the session the restart ended: 57P01 or a closed socket
            held.exec_driver_sql("SELECT 1")
        seen.append(ended.value)
    finally:
        stop.set()
        worker.join()
        engine.dispose()
    assert seen, "the restarts raised nothing"
    not_outages = [faults.describe(e) for e in seen if not faults.is_outage(e)]
    assert not not_outages, not_outages


@needs_own_postgres
def test_ingest_while_postgresql_restarts_answers_only_2xx_and_503(own_postgres: PrivatePostgres,
                                                                   tmp_path: Path) -> None:
    url = own_postgres.url
    migrate.upgrade(url)
    settings = Settings(data_dir=tmp_path / "data", database_url=url, secret_key="k", seed_demo=False,
                        run_engine=False)
    setup = Runtime(settings, Database(url), FakeClock())
    with setup.database.writing() as db:
        accounts.create_team(db=db, actor=Actor.system(setup.clock), slug="payments", name="Payments")
    key = pagerduty_key(setup, "payments")
    served = start_serve(url, tmp_path / "serve", engine=False)
    restarted = threading.Event()

    def restart_twice() -> None:
        time.sleep(0.5)
        own_postgres.restart("fast")  # sessions ended (57P01); "shutting down", then "starting up" (57P03)
        time.sleep(0.5)
        own_postgres.restart("immediate")  # a crash: recovery, "not yet accepting connections"
        time.sleep(0.5)
        restarted.set()

    restarter = threading.Thread(target=restart_twice)
    after: list[int] = []

    def done(load: object) -> bool:
        if restarted.is_set() and not after:
            after.append(len(getattr(load, "statuses", {})))
        return bool(after) and len(getattr(load, "statuses", {})) > after[0] + 100

    restarter.start()
    try:
        load = drive(f"{served.base}/v2/enqueue", lambda n: trigger(key, f"checkout-{n % 5}", n), total=20_000,
                     connections=8, seconds=10, stop_when=done)
    finally:
        restarter.join()
        served.process.terminate()
        served.process.wait(timeout=20)
    others = {n: s for n, s in load.statuses.items() if s is None or not (200 <= s < 300 or s == 503)}
    fault_table("postgres_restart", sent=load.sent, ok=len(load.ok), unavailable=load.unavailable,
                other=len(others))
    assert not others, (f"{len(others)} of {load.sent} answers were neither 2xx nor 503: "
                        f"{sorted(set(others.values()), key=str)}\n{served.output()}")
    assert restarted.is_set()
    assert load.unavailable > 0, "the restarts were never felt (no 503): the test did not test anything"
    assert load.ok and max(load.ok) > after[0], "ingest did not recover after the restarts"
    with setup.database.reading() as db:
        counted = db.scalar(sa.text("SELECT coalesce(sum(count), 0) FROM alerts"))
    setup.database.dispose()
    assert len(load.ok) <= counted <= load.sent  # every accepted event counted (a 503 may have landed too)


def test_the_engine_says_a_store_outage_once_not_a_traceback_every_tick(
        settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "not-a-database"  # SQLite cannot open a directory: SQLITE_CANTOPEN on every tick
    folder.mkdir()
    down = Runtime(settings, Database(f"sqlite:///{folder}"), FakeClock())
    monkeypatch.setattr(faults, "outages", faults.OutageLog())
    stop = threading.Event()
    engine = down.engine()
    runner = threading.Thread(target=engine.run_until, args=(stop, 0.01))
    with caplog.at_level(logging.WARNING):
        runner.start()
        time.sleep(1.0)  # dozens of ticks
        stop.set()
        runner.join(timeout=10)
    down.database.dispose()
    assert not [r.getMessage() for r in caplog.records if r.exc_info], "a traceback was logged for an outage"
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store ")]
    assert len(said) == 1 and "SQLITE_CANTOPEN" in said[0], said


def test_a_live_stream_ends_quietly_when_the_store_goes_down(caplog: pytest.LogCaptureFixture,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an exception out of the stream (a traceback per open browser): it ends, and the browser reconnects."""
    monkeypatch.setattr(faults, "outages", faults.OutageLog())

    def read(after: int) -> tuple[list[Event], int]:
        raise pg_error("57P01", OUTAGES["57P01"])

    async def follow() -> list[str]:
        request = Request({"type": "http", "method": "GET", "path": "/announcements/events", "headers": []})
        return [chunk async for chunk in stream(request, "announcements", 0, read)]

    with caplog.at_level(logging.WARNING):
        sent = asyncio.run(follow())
    assert sent == [f"retry: {RETRY_MS}\n\n"]
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store ")]
    assert len(said) == 1 and "57P01" in said[0], said
