"""Shared pieces for the benchmarks: a real server in a subprocess, a fresh store, credentials.

Benchmarks are never tests: they print figures for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from warroom.accounts import service as accounts
from warroom.accounts.models import TokenScope, User
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.runtime import Runtime, build_runtime, seed_if_empty

# Benchmarks page receivers on this machine: webhooks to loopback are allowed, as an operator would allow them.
LOOPBACK = "127.0.0.0/8,::1/128"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(latencies_ms: list[float]) -> str:
    return (f"n={len(latencies_ms)} p50={percentile(latencies_ms, 50):.2f} ms "
            f"p90={percentile(latencies_ms, 90):.2f} ms p99={percentile(latencies_ms, 99):.2f} ms "
            f"mean={statistics.fmean(latencies_ms):.2f} ms")


@dataclass
class Store:
    url: str
    settings: Settings
    runtime: Runtime


@contextmanager
def fresh_store(database_url: str | None = None) -> Iterator[Store]:
    """A migrated, demo-seeded store in a temporary data directory (or the PostgreSQL URL given)."""
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as data_dir, scratch_database(database_url) as url:
        settings = Settings(data_dir=Path(data_dir), database_url=url, seed_demo=True,
                            run_engine=False, secret_key="bench", outbound_allow=LOOPBACK)
        runtime = build_runtime(settings)
        seed_if_empty(runtime)
        yield Store(settings.resolved_database_url(), settings, runtime)
        runtime.database.dispose()


@contextmanager
def scratch_database(server_url: str | None) -> Iterator[str]:
    """"" (SQLite in the data directory), or a new database on the PostgreSQL server, dropped afterwards."""
    if not server_url:
        yield ""
        return
    import uuid

    import sqlalchemy as sa

    from warroom.db.engine import normalise_url

    admin = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    name = f"warroom_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def token_for(runtime: Runtime, handle: str = "alice") -> str:
    with runtime.database.writing() as db:
        user = accounts.find_person(db=db, who=handle)
        return accounts.create_token(db=db, actor=Actor.system(runtime.clock), user=user, name="bench",
                                     scope=TokenScope.write).secret


def session_cookie_for(runtime: Runtime, handle: str = "alice") -> str:
    with runtime.database.writing() as db:
        user: User = accounts.find_person(db=db, who=handle)
        return accounts.start_session(db=db, user=user, now=runtime.clock.now(), days=1).cookie_value


@contextmanager
def server(store: Store, *, engine: bool = False, workers: int = 1,
           factory: str = "warroom.asgi:create_from_environment") -> Iterator[str]:
    """`uvicorn` serving Warroom on 127.0.0.1 in its own process, as `warroom serve` does (``factory``: another
    app factory, such as bench.routing_variants' for comparisons)."""
    port = free_port()
    env = dict(os.environ, WARROOM_DATA_DIR=str(store.settings.data_dir), WARROOM_DATABASE_URL=store.url,
               WARROOM_SECRET_KEY="bench", WARROOM_RUN_ENGINE="true" if engine else "false",
               WARROOM_SEED_DEMO="false", WARROOM_BASE_URL=f"http://127.0.0.1:{port}",
               WARROOM_OUTBOUND_ALLOW=LOOPBACK)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory,
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--workers", str(workers)],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not come up")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
