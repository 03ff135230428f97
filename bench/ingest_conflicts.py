"""Conflicts between processes at ingest: two `uvicorn --workers 2` servers on one PostgreSQL database.

    .venv/bin/python -m bench.ingest_conflicts --database-url postgresql://postgres@127.0.0.1:5432/postgres \
        [--events 10000] [--keys 5] [--connections 32]

PagerDuty triggers over a few dedup keys, sent alternately to both servers, so the group commits of four
processes lock the same alert rows. Prints the answers by status and what the alerts counted: every event
should be answered 202 and counted once (deadlocks and serialization failures are retried, docs/adr/0005).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from contextlib import ExitStack

import httpx
import sqlalchemy as sa

from bench.harness import fresh_store, machine, server
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.oncall.alerts.models import Alert
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key


def trigger(key: str, dedup_key: str, n: int) -> dict[str, object]:
    return {"routing_key": key, "event_action": "trigger", "dedup_key": dedup_key,
            "payload": {"summary": f"Checkout errors ({dedup_key})", "source": "bench", "severity": "error",
                        "custom_details": {"n": n}}}


async def send(bases: list[str], key: str, events: int, keys: int, connections: int) -> Counter[int | None]:
    answers: Counter[int | None] = Counter()
    numbers = iter(range(events))
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def sender() -> None:
            for n in numbers:
                try:
                    answer = await client.post(f"{bases[n % len(bases)]}/v2/enqueue",
                                               json=trigger(key, f"checkout-{n % keys}", n))
                    answers[answer.status_code] += 1
                except httpx.HTTPError:
                    answers[None] += 1

        await asyncio.gather(*(sender() for _ in range(connections)))
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="a PostgreSQL server (a scratch database is made)")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    options = parser.parse_args()
    with fresh_store(options.database_url) as store, ExitStack() as servers:
        with store.runtime.database.writing() as db:
            team = accounts.create_team(db=db, actor=Actor.system(store.runtime.clock), slug="bench", name="Bench")
            key = create_key(db=db, actor=Actor.system(store.runtime.clock), name="bench", kind=KeyKind.pagerduty,
                             team=team).secret
        bases = [servers.enter_context(server(store, workers=2)) for _ in range(2)]
        started = time.monotonic()
        answers = asyncio.run(send(bases, key, options.events, options.keys, options.connections))
        took = time.monotonic() - started
        with store.runtime.database.reading() as db:
            counted = db.scalar(sa.select(sa.func.sum(Alert.count)).where(Alert.alias.like("checkout-%")))
            alerts = db.scalar(sa.select(sa.func.count()).where(Alert.alias.like("checkout-%")))
            deadlocks = db.scalar(sa.text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    print(machine())
    print(f"{options.events} events over {options.keys} dedup keys, 2 servers x 2 workers, "
          f"{options.connections} connections: answers {dict(answers)}; {alerts} alerts counting {counted}; "
          f"{deadlocks} deadlocks detected by PostgreSQL (each retried); "
          f"{took:.1f} s ({options.events / took:.0f} events/s)")


if __name__ == "__main__":
    main()
