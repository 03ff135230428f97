"""Opsgenie list and count with the search query, over 100,000 alerts, through a real server.

    .venv/bin/python -m bench.opsgenie_search [--database-url URL] [--alerts 100000] [--rounds 20]

Each query is asked ``rounds`` times as ``GET /v2/alerts?query=…&limit=100`` and ``GET /v2/alerts/count?query=…``
with an Opsgenie key of no team (it reaches every alert); the figures are the answers' latencies.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from bench.harness import fresh_store, machine, percentile, server
from warroom.accounts.models import Team
from warroom.core.actor import Actor
from warroom.oncall.alerts.models import Alert
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key
from warroom.runtime import Runtime

QUERIES = (
    "status: open",
    "tag: db",
    "tags: (db OR web) AND priority: P1",
    "NOT acknowledged: true AND status: open AND teams: engineering",
    "alias: bench-4242",
    "createdAt >= {since}",
)


def insert_alerts(runtime: Runtime, count: int, start: datetime) -> None:
    with runtime.database.writing() as db:
        teams = list(db.scalars(sa.select(Team.id).order_by(Team.id)))
        for first in range(0, count, 10_000):
            rows = []
            for n in range(first, min(count, first + 10_000)):
                at = start + timedelta(seconds=n)
                rows.append({
                    "alias": f"bench-{n}", "dedup_scope": "", "status": ("open", "acknowledged", "closed")[n % 3],
                    "message": f"Disk {n} almost full", "description": "", "priority": f"P{n % 5 + 1}",
                    "source": "bench", "entity": "", "tags": [("db", "web", "cache", "queue")[n % 4], "prod"],
                    "details": {}, "responders": [{"type": "team", "id": teams[n % len(teams)]}],
                    "team_id": teams[n % len(teams)], "count": 1, "created_at": at, "updated_at": at,
                    "last_occurred_at": at, "acknowledged_at": at if n % 3 == 1 else None,
                    "escalation_step": 0, "escalation_round": 0, "escalation_generation": 0})
            db.execute(sa.insert(Alert), rows)


def make_key(runtime: Runtime) -> str:
    with runtime.database.writing() as db:
        return create_key(db=db, actor=Actor.system(runtime.clock), name="bench opsgenie",
                          kind=KeyKind.opsgenie).secret


def timed(http: httpx.Client, path: str, params: dict[str, str], rounds: int) -> list[float]:
    latencies = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = http.get(path, params=params)
        latencies.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--alerts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    since = int((start + timedelta(seconds=args.alerts - 1000)).timestamp() * 1000)
    with fresh_store(args.database_url) as store:
        insert_alerts(store.runtime, args.alerts, start)
        key = make_key(store.runtime)
        print(f"store: {'PostgreSQL' if args.database_url else 'SQLite'}, {args.alerts} alerts")
        print("| query | list (limit 100) p50 / p95 | count p50 / p95 | count |")
        print("|---|---|---|---|")
        with server(store) as base, httpx.Client(base_url=base, timeout=60,
                                                 headers={"Authorization": f"GenieKey {key}"}) as http:
            for query in QUERIES:
                text = query.format(since=since)
                listed = timed(http, "/v2/alerts", {"query": text, "limit": "100"}, args.rounds)
                counted = timed(http, "/v2/alerts/count", {"query": text}, args.rounds)
                total = http.get("/v2/alerts/count", params={"query": text}).json()["data"]["count"]
                print(f"| `{text}` | {percentile(listed, 50):.1f} / {percentile(listed, 95):.1f} ms "
                      f"| {percentile(counted, 50):.1f} / {percentile(counted, 95):.1f} ms | {total} |")


if __name__ == "__main__":
    main()
