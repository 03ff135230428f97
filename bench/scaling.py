"""Scale-out on PostgreSQL: events/s and new alerts/s with 1-3 web processes and 1-2 engines behind haproxy.

Each configuration is the test topology (tests/support/topology.py: every process in its own network namespace,
haproxy in front, a database of its own, commits durable): a closed loop at --connections through the load
balancer, alternating Opsgenie creates and Alertmanager webhooks (one alert per group).

- events/s: events for 500 alerts that are already open (each event updates its alert), answered 2xx per second;
- new alerts/s: distinct new alerts, each paging one person by webhook at a receiver in this process, counted
  from the first request to the last page delivered.

Per event, from PostgreSQL's own counters around each run: transactions committed, rows written, WAL bytes
(pg_current_wal_lsn difference: the whole server's, so other databases' writes count too on a shared server),
statements and rows locked (pg_stat_statements, when the server preloads it: --private-postgres starts a
throwaway cluster of its own that does, fsync off; its throughput is not comparable, its costs are).

    .venv/bin/python -m bench.scaling                        # every configuration, on 127.0.0.1:5432
    .venv/bin/python -m bench.scaling --configs 1x1 --private-postgres   # the cost per event, with statements

The generator, the receiver, haproxy, PostgreSQL and every Warroom process share this machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from tests.faults.support import PrivatePostgres, postgres_bin
from tests.support import Reply, Request, http_server
from tests.support.topology import fresh_database, topology

from bench.harness import machine
from bench.ingest_formats import load_average
from warroom.accounts import service as accounts
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import SystemClock
from warroom.db.engine import Database, normalise_url
from warroom.notifications import service as notifications
from warroom.oncall.escalation import policies
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key
from warroom.runtime import Runtime

HOT_ALERTS = 500
Body = tuple[str, dict[str, str], bytes]


def opsgenie(key: str, name: str) -> Body:
    body = {"message": f"scaling {name}", "alias": f"scaling-{name}", "priority": "P2", "source": "bench",
            "details": {"host": name}}
    return "/v2/alerts", {"authorization": f"GenieKey {key}"}, json.dumps(body).encode()


def alertmanager(key: str, name: str) -> Body:
    labels = {"alertname": "ScalingDown", "group": name, "instance": f"host-{name}", "severity": "critical"}
    body = {"version": "4", "groupKey": f'{{}}:{{group="{name}"}}', "truncatedAlerts": 0, "status": "firing",
            "receiver": "warroom", "groupLabels": {"group": name}, "commonLabels": labels,
            "commonAnnotations": {"summary": f"scaling {name}"}, "externalURL": "http://alertmanager.bench",
            "alerts": [{"status": "firing", "labels": labels, "annotations": {"summary": f"scaling {name}"},
                        "startsAt": "2026-12-07T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                        "generatorURL": "http://prometheus.bench/graph", "fingerprint": uuid.uuid5(
                            uuid.NAMESPACE_URL, name).hex[:16]}]}
    return "/api/v1/integrations/alertmanager", {"authorization": f"Bearer {key}"}, json.dumps(body).encode()


def event(keys: dict[str, str], name: str, n: int) -> Body:
    return opsgenie(keys["opsgenie"], name) if n % 2 == 0 else alertmanager(keys["alertmanager"], name)


@dataclass
class Run:
    ok: int = 0
    other: int = 0
    seconds: float = 0.0


async def _closed(base: str, make: Callable[[int], Body], seconds: float, connections: int, run: Run) -> None:
    numbers = iter(range(10**9))
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def connection(client: httpx.AsyncClient) -> None:
        for n in numbers:
            if time.monotonic() >= deadline:
                return
            path, headers, body = make(n)
            try:
                answer = await client.post(path, headers=headers | {"content-type": "application/json"},
                                           content=body)
                if 200 <= answer.status_code < 300:
                    run.ok += 1
                else:
                    run.other += 1
            except httpx.HTTPError:
                run.other += 1

    start = time.monotonic()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        await asyncio.gather(*(connection(client) for _ in range(connections)))
    run.seconds = time.monotonic() - start


def closed_loop(base: str, make: Callable[[int], Body], seconds: float, connections: int) -> Run:
    run = Run()
    asyncio.run(_closed(base, make, seconds, connections, run))
    return run


# --- PostgreSQL's counters ----------------------------------------------------------------------------------------


@dataclass
class Counters:
    commits: int
    rows_written: int
    wal: int
    statements: int | None
    locked: int | None


STATEMENTS = """SELECT coalesce(sum(calls), 0),
  coalesce(sum(rows) FILTER (WHERE query ~* 'for (no key )?update|for (key )?share'), 0)
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def counters(engine: sa.Engine, statements: bool) -> Counters:
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        commits, written, updated = conn.exec_driver_sql(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, tup_updated + tup_deleted "
            "FROM pg_stat_database WHERE datname = current_database()").one()
        wal = conn.exec_driver_sql("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn").scalar_one()
        calls = locked = None
        if statements:
            calls, for_update = conn.exec_driver_sql(STATEMENTS).one()
            locked = int(for_update) + int(updated)  # rows read FOR [NO KEY] UPDATE / [KEY] SHARE (foreign-key checks
            # included), and every row updated or deleted
    return Counters(int(commits), int(written), int(wal), None if calls is None else int(calls), locked)


TOP = """SELECT calls, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT :n"""


def top_statements(engine: sa.Engine, n: int, events: int) -> None:
    """The ``n`` statements run most often since the last reset, per event."""
    with engine.connect() as conn:
        for calls, rows, query in conn.execute(sa.text(TOP), {"n": n}):
            print(f"    {calls / max(events, 1):6.2f} calls {rows / max(events, 1):6.2f} rows  {query}")


def reset_statements(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT pg_stat_statements_reset()")


def per_event(before: Counters, after: Counters, events: int) -> str:
    n = max(events, 1)
    parts = [f"{(after.commits - before.commits) / n:.2f} commits",
             f"{(after.rows_written - before.rows_written) / n:.1f} rows written",
             f"{(after.wal - before.wal) / n / 1024:.1f} KiB WAL"]
    if after.statements is not None and before.statements is not None:
        parts.append(f"{(after.statements - before.statements) / n:.1f} statements")
    if after.locked is not None and before.locked is not None:
        parts.append(f"{(after.locked - before.locked) / n:.1f} rows locked")
    return ", ".join(parts) + " per event"


# --- one configuration ----------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    arrived: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, request: Request) -> Reply:
        message = str(request.json().get("alert", {}).get("message", ""))
        with self.lock:
            self.arrived.setdefault(message, time.monotonic())
        return Reply(200)


def prepare(runtime: Runtime, receiver_url: str) -> dict[str, str]:
    """Alerts of an Opsgenie and an Alertmanager key page bob by webhook at once."""
    system = Actor.system(runtime.clock)
    with runtime.database.writing() as db:
        bob = accounts.create_user(db=db, actor=system, handle="bob", email="bob@example.com", name="Bob",
                                   password=None)
        method = notifications.add_contact_method(db=db, actor=system, user=bob, kind="webhook",
                                                  address=receiver_url, outbound=runtime.outbound)
        notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
        policy = policies.create_policy(db=db, actor=system, slug="scaling", name="scaling", steps=[
            {"delay_minutes": 0, "targets": [{"type": "user", "id": bob.id}]}])
        return {kind.value: create_key(db=db, actor=system, name=f"scaling {kind.value}", kind=kind,
                                       escalation_policy=policy).secret
                for kind in (KeyKind.opsgenie, KeyKind.alertmanager)}


@contextmanager
def runtime_on(url: str, folder: Path, network: str) -> Iterator[Runtime]:
    settings = Settings(data_dir=folder / "bench", database_url=url, secret_key="test-secret-key",
                        seed_demo=False, run_engine=False, base_url="http://warroom.bench", outbound_allow=network)
    runtime = Runtime(settings, Database(url), SystemClock())
    try:
        yield runtime
    finally:
        runtime.database.dispose()


def wait_for(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.05)


def measure(server_url: str, webs: int, engines: int, args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix=f"scaling-{webs}x{engines}-"))
    with fresh_database(server_url, durable=True) as url, topology(url, folder, webs=webs, engines=engines) as made, \
            runtime_on(url, folder, made.network) as runtime:
        receiver = Receiver()
        with http_server(receiver.respond, path="/pages", host=made.host_address) as server:
            keys = prepare(runtime, server.url)
            stats = sa.create_engine(normalise_url(url), poolclass=sa.pool.NullPool)
            statements = args.private_postgres
            if statements:
                with stats.begin() as conn:
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            # Events for alerts already open: open them first, then measure.
            _open_hot(made.base, keys, args.connections)
            wait_for(lambda: len(receiver.arrived) >= HOT_ALERTS, 60)
            if statements:
                reset_statements(stats)
            before = counters(stats, statements)
            run = closed_loop(made.base, lambda n: event(keys, f"hot-{n % HOT_ALERTS}", n), args.seconds,
                              args.connections)
            after = counters(stats, statements)
            print(f"{webs} web, {engines} engine: events for open alerts: {run.ok / run.seconds:,.0f} events/s "
                  f"answered 2xx ({run.ok} in {run.seconds:.1f} s, {run.other} other); "
                  f"{per_event(before, after, run.ok)}; load average {load_average()}", flush=True)
            if statements and args.top:
                top_statements(stats, args.top, run.ok)
                reset_statements(stats)
            receiver.arrived.clear()
            before = counters(stats, statements)
            start = time.monotonic()
            run = closed_loop(made.base, lambda n: event(keys, f"new-{n}", n), args.seconds, args.connections)
            wait_for(lambda: len(receiver.arrived) >= run.ok, 120)
            last = max(receiver.arrived.values(), default=start)
            after = counters(stats, statements)
            delivered = len(receiver.arrived)
            print(f"{webs} web, {engines} engine: new alerts: {delivered / max(last - start, 1e-9):,.0f} new alerts/s "
                  f"fully processed ({run.ok} answered 2xx at {run.ok / run.seconds:,.0f}/s, {delivered} paged, "
                  f"last page {last - start:.1f} s after the start); {per_event(before, after, run.ok)}; "
                  f"load average {load_average()}", flush=True)
            if statements and args.top:
                top_statements(stats, args.top, run.ok)
            stats.dispose()


def _open_hot(base: str, keys: dict[str, str], connections: int) -> None:
    """Each of the HOT_ALERTS alerts once, by its own format (even: Opsgenie, odd: Alertmanager)."""
    names = iter(range(HOT_ALERTS))

    async def connection(client: httpx.AsyncClient) -> None:
        for n in names:
            path, headers, body = event(keys, f"hot-{n}", n)
            await client.post(path, headers=headers | {"content-type": "application/json"}, content=body)

    async def run() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await asyncio.gather(*(connection(client) for _ in range(connections)))

    asyncio.run(run())


@contextmanager
def private_postgres() -> Iterator[str]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise SystemExit("--private-postgres needs PostgreSQL's server binaries (initdb)")
    cluster = PrivatePostgres(bin_dir, Path(tempfile.mkdtemp(prefix="scaling-pg-"))).init()
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.write("\nshared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n")
    cluster.start()
    try:
        yield cluster.url
    finally:
        cluster.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="a PostgreSQL server on 127.0.0.1 (a database is made on it for each configuration)")
    parser.add_argument("--configs", default="1x1,2x1,3x1,1x2,2x2,3x2",
                        help="web x engine process counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--private-postgres", action="store_true",
                        help="a throwaway cluster with pg_stat_statements (statements and row locks per event)")
    parser.add_argument("--top", type=int, default=0,
                        help="with --private-postgres: the statements run most often, per event")
    args = parser.parse_args()
    print(f"machine: {machine()}; generator, receiver, haproxy and PostgreSQL on the same cores; "
          f"closed loop, {args.connections} connections, {args.seconds:.0f} s a run; load average {load_average()}",
          flush=True)
    with (private_postgres() if args.private_postgres else _given(args.database_url)) as server_url:
        for config in args.configs.split(","):
            webs, engines = (int(part) for part in config.split("x"))
            measure(server_url, webs, engines, args)


@contextmanager
def _given(url: str) -> Iterator[str]:
    yield url


if __name__ == "__main__":
    main()

