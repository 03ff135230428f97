"""Retention: a backlog of done jobs pruned by the engine while monitoring tools keep sending events.

    .venv/bin/python -m bench.prune_bench [--rows 1000000] [--rate 200] [--database-url URL]

One `uvicorn` process serves Warroom (engine off) on a store holding ``--rows`` engine jobs done 30 days ago; this
process plays `warroom engine` with retention's pruner (WARROOM_RETENTION_JOBS_DAYS=7: a tick of at most 0.5 s of
2,000-row batches, then the engine's idle second). Mixed PagerDuty / Opsgenie / Alertmanager events are offered
at ``--rate`` per second throughout, in 5-second windows: a few before pruning starts, then until it is done.
The figures to compare are ingest p99 during pruning against before it.
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from bench.harness import fresh_store, machine, percentile, server
from bench.ingest import make_keys, request_maker
from bench.loadgen import run_load
from warroom.db.engine import Database
from warroom.engine.models import Job, JobState
from warroom.observability.retention import Pruner

CHUNK = 20_000
WINDOW_SECONDS = 5.0
TICK_SECONDS = 1.0  # WARROOM_ENGINE_TICK_SECONDS' default: an idle engine's wait between ticks


def insert_done_jobs(database: Database, rows: int, age: timedelta) -> float:
    """``rows`` done jobs, finished ``age`` ago; returns the seconds it took."""
    started = time.perf_counter()
    at = database_now() - age
    for first in range(0, rows, CHUNK):
        batch = [{"kind": "notify", "payload": {}, "idempotency_key": f"bench-done-{n}", "state": JobState.done,
                  "due_at": at, "attempts": 1, "max_attempts": 8, "last_error": "", "created_at": at,
                  "finished_at": at} for n in range(first, min(first + CHUNK, rows))]
        with database.writing() as db:
            db.execute(sa.insert(Job), batch)
    return time.perf_counter() - started


def database_now():  # type: ignore[no-untyped-def]
    from warroom.core.clock import SystemClock

    return SystemClock().now()


def done_jobs(database: Database) -> int:
    """Old done jobs left (the ingest's own jobs, done just now, are not for pruning), through the queue's index."""
    cutoff = database_now() - timedelta(days=7)
    with database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Job)
                             .where(Job.state == JobState.done, Job.due_at < cutoff)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--before-windows", type=int, default=3, help="windows measured before pruning starts")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        database = store.runtime.database
        took = insert_done_jobs(database, args.rows, timedelta(days=30))
        print(f"{store_name}: {args.rows:,} done jobs inserted in {took:.1f} s", flush=True)
        keys = make_keys(store.runtime)
        make = request_maker(keys)
        pruner = Pruner({"jobs": 7})  # WARROOM_RETENTION_JOBS_DAYS=7, the default batch and per-tick budget
        finished: list[float] = []
        stop = threading.Event()

        def engine_loop() -> None:
            """What `warroom engine` does with the pruner: a tick (its budget), then the idle wait between ticks."""
            started = time.perf_counter()
            while not stop.is_set():
                pruner(database, database_now())
                if not pruner.busy:
                    finished.append(time.perf_counter() - started)
                    return
                stop.wait(TICK_SECONDS)

        with server(store) as base:
            run_load(base, make, rate=args.rate, seconds=WINDOW_SECONDS)  # warm-up, not reported
            before = window_series(base, make, args.rate, args.before_windows, "before ")
            threading.Thread(target=engine_loop, daemon=True).start()
            during: list[float] = []
            while not finished:
                during += window_series(base, make, args.rate, 1, "pruning")
            stop.set()
        left = done_jobs(database)
        print(f"{store_name}: pruned {args.rows - left:,} done jobs in {finished[0]:.1f} s "
              f"({(args.rows - left) / finished[0]:,.0f} rows/s) while ingesting {args.rate:.0f} events/s")
        for label, values in (("before pruning", before), ("during pruning", during)):
            print(f"{store_name}: ingest {label}: n={len(values)} p50 {percentile(values, 50):.1f} ms "
                  f"p99 {percentile(values, 99):.1f} ms max {max(values):.1f} ms")


def window_series(base: str, make, rate: float, windows: int, label: str) -> list[float]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    for _ in range(windows):
        result = run_load(base, make, rate=rate, seconds=WINDOW_SECONDS)
        ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
        latencies += result.latencies_ms
        print(f"  {label}: answered {result.achieved_rate:.0f}/s ({ok}/{result.sent} 2xx)  "
              f"p50 {percentile(result.latencies_ms, 50):.1f} ms  p99 {percentile(result.latencies_ms, 99):.1f} ms",
              flush=True)
    return latencies

if __name__ == "__main__":
    main()
