"""The incident page of an incident with 10,000 timeline entries: latency and SQL statements.

    .venv/bin/python -m bench.incident_page [--entries 10000] [--requests 500]

Target (issue 2): p99 < 100 ms and at most 5 SQL queries per render.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient

from bench.harness import fresh_store, machine, server, session_cookie_for, summary
from warroom.api.app import create_app
from warroom.incidents import flows
from warroom.runtime import Runtime
from warroom.timeline.models import EntryKind, TimelineEntry


def big_incident(runtime: Runtime, entries: int) -> str:
    from warroom.accounts import service as accounts
    from warroom.core.actor import Actor

    with runtime.database.writing() as db:
        bob = accounts.find_person(db=db, who="bob")
        actor = Actor(bob.id, bob.handle, bob.access_role, "bench", runtime.clock)
        incident = flows.declare_incident(db=db, actor=actor, title="Long-running outage",
                                          severity="critical", customer_impact=True).incident
        flows.assign_role(db=db, actor=actor, ref=incident.ref, role="lead", who="@bob")
        flows.assign_role(db=db, actor=actor, ref=incident.ref, role="messenger", who="@carol")
        start = runtime.clock.now()
        rows = [
            {"incident_id": incident.id, "kind": EntryKind.message if n % 5 else EntryKind.update,
             "actor_id": bob.id, "body": f"Message {n}: checked shard {n % 17}, error rate {n % 9}%",
             "data": {}, "pinned": n % 500 == 0, "created_at": start + timedelta(seconds=n)}
            for n in range(entries)
        ]
        db.execute(sa.insert(TimelineEntry), rows)
        return incident.ref


def count_queries(runtime: Runtime, ref: str, cookie: str) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with TestClient(create_app(runtime, run_engine=False)) as client:
        client.cookies.set("warroom_session", cookie)
        client.get(f"/incidents/{ref}")  # warm
        sa.event.listen(runtime.database.engine, "before_cursor_execute", record)
        response = client.get(f"/incidents/{ref}")
        sa.event.remove(runtime.database.engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text[:500]
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with fresh_store(args.database_url) as store:
        ref = big_incident(store.runtime, args.entries)
        cookie = session_cookie_for(store.runtime)
        queries = count_queries(store.runtime, ref, cookie)
        with server(store) as base, httpx.Client(base_url=base, cookies={"warroom_session": cookie}) as http:
            for _ in range(20):
                http.get(f"/incidents/{ref}")
            latencies = []
            size = 0
            for _ in range(args.requests):
                started = time.perf_counter()
                response = http.get(f"/incidents/{ref}")
                latencies.append((time.perf_counter() - started) * 1000)
                size = len(response.content)
                assert response.status_code == 200
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}")
    print(f"incident page, {args.entries} timeline entries, {store_name}, sequential over HTTP: "
          f"{summary(latencies)}; page {size} bytes; {queries} SQL statements per render")


if __name__ == "__main__":
    main()
