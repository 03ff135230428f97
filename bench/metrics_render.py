"""GET /metrics with many open alerts and a large queue history: what one Prometheus scrape costs.

    .venv/bin/python -m bench.metrics_render [--open-alerts 100000] [--done-jobs 0] [--database-url URL]

The store holds ``--open-alerts`` open alerts and ``--done-jobs`` finished engine jobs; `/metrics` is scraped
``--scrapes`` times from loopback (no token) by one client, one at a time, against one uvicorn process (engine
off). ``render`` is the same exposition built in this process, without HTTP.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import httpx
import sqlalchemy as sa

from bench.harness import fresh_store, machine, percentile, server
from bench.prune_bench import database_now, insert_done_jobs
from warroom.db.engine import Database
from warroom.observability.collect import render
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority

CHUNK = 10_000


def insert_open_alerts(database: Database, count: int) -> None:
    now = database_now()
    for first in range(0, count, CHUNK):
        rows = [{"alias": f"bench-open-{n}", "dedup_scope": "", "status": AlertStatus.open, "message": f"Bench {n}",
                 "description": "", "priority": Priority.p3, "source": "bench", "entity": "", "tags": [],
                 "details": {}, "responders": [], "unresolved_responders": [], "unrouted": False, "count": 1,
                 "created_at": now, "updated_at": now, "last_occurred_at": now, "escalation_step": 0,
                 "escalation_round": 0, "escalation_generation": 0}
                for n in range(first, min(first + CHUNK, count))]
        with database.writing() as db:
            db.execute(sa.insert(Alert), rows)


def timed(call, times: int) -> list[float]:  # type: ignore[no-untyped-def]
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--open-alerts", type=int, default=100_000)
    parser.add_argument("--done-jobs", type=int, default=0)
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        database = store.runtime.database
        insert_open_alerts(database, args.open_alerts)
        if args.done_jobs:
            insert_done_jobs(database, args.done_jobs, timedelta(days=1))
        if store_name == "postgresql":
            with database.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        label = f"{store_name}, {args.open_alerts:,} open alerts, {args.done_jobs:,} done jobs"
        direct = timed(lambda: render(database, store.runtime.clock), args.scrapes)
        with server(store) as base, httpx.Client() as client:
            scraped = client.get(f"{base}/metrics")
            assert scraped.status_code == 200, scraped.text
            assert f"warroom_alerts_open {float(args.open_alerts)}" in scraped.text
            over_http = timed(lambda: client.get(f"{base}/metrics").raise_for_status(), args.scrapes)
        for how, spent in (("render() in process", direct), ("GET /metrics", over_http)):
            print(f"{label}: {how}: n={len(spent)} p50 {percentile(spent, 50):.1f} ms "
                  f"p99 {percentile(spent, 99):.1f} ms ({len(scraped.content):,} bytes)")


if __name__ == "__main__":
    main()
