"""The insights page over 100,000 incidents: latency of GET /insights over HTTP.

    .venv/bin/python -m bench.insights [--incidents 100000] [--requests 30] [--database-url URL]

Target: the page (default window, 12 weeks) renders in < 300 ms. The incidents are spread over the last two
years (about 960 a week) with their status changes (timeline entries and status periods), resolutions (10 %
false positives), acknowledgements, affected services and follow-ups, bulk-inserted as the flows would store
them. Wider windows (52 and 104 weeks) are timed too. Past weeks are read from the weekly roll-up (ADR 0026):
the first request of each window keeps the weeks not yet kept and is printed apart; the seeded incidents are
inserted by plain statements, which the roll-up's triggers see like any other change.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from bench.harness import fresh_store, machine, server, session_cookie_for, summary
from warroom.followups.models import FollowUp
from warroom.incidents.models import Incident
from warroom.insights.models import StatusPeriod
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

SERVICES = [f"service-{n:02d}" for n in range(30)]
BATCH = 5_000
SPAN = timedelta(weeks=104)


def _incident(rng: random.Random, number: int, declared: datetime, now: datetime) -> dict[str, Any]:
    resolved = declared + timedelta(minutes=rng.randint(10, 3000)) if rng.random() < 0.97 else None
    if resolved is not None and resolved > now:
        resolved = None
    closed = resolved + timedelta(hours=rng.randint(1, 48)) if resolved and rng.random() < 0.8 else None
    if closed is not None and closed > now:
        closed = None
    status = "closed" if closed else "resolved" if resolved else "investigating"
    acknowledged = declared + timedelta(minutes=rng.randint(1, 90)) if rng.random() < 0.9 else None
    return {
        "id": number, "title": f"Incident {number}", "description": "", "summary": "",
        "severity": rng.choice(("critical", "major", "major")), "status": status, "customer_impact": False,
        "security": rng.random() < 0.02, "suspected": False,
        "affected_services": rng.sample(SERVICES, rng.randint(0, 3)), "external_reporter": "",
        "reporter_id": None, "resolution": (None if resolved is None
                                            else "false_positive" if rng.random() < 0.1 else "fixed"),
        "declared_at": declared, "acknowledged_at": acknowledged if acknowledged and acknowledged < now else None,
        "resolved_at": resolved, "closed_at": closed, "archived_at": closed, "close_override_reason": "",
        "updated_at": closed or resolved or declared, "last_status_update_at": resolved or declared,
    }


def _periods(rng: random.Random, row: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The incident's status periods and its status-change timeline entries."""
    declared, resolved, closed = row["declared_at"], row["resolved_at"], row["closed_at"]
    steps = [("investigating", declared)]
    if resolved is not None:
        middle = declared + (resolved - declared) / 3
        if rng.random() < 0.6:
            steps.append(("identified", middle))
        if rng.random() < 0.4:
            steps.append(("monitoring", middle + (resolved - declared) / 3))
        steps.append(("resolved", resolved))
    if closed is not None:
        steps.append(("closed", closed))
    periods, entries = [], []
    for (status, start), (after, end) in zip(steps, [*steps[1:], (None, None)], strict=True):
        if status == "closed":
            break
        periods.append({"incident_id": row["id"], "status": status, "started_at": start, "ended_at": end,
                        "seconds": int((end - start).total_seconds()) if end else None})
        if after is not None:
            kind = "status_changed" if after in ("identified", "monitoring") else after
            entries.append({"incident_id": row["id"], "kind": kind, "actor_id": None, "body": f"Status: {after}",
                            "data": {"before": status, "after": after}, "pinned": False, "created_at": end})
    entries.append({"incident_id": row["id"], "kind": "declared", "actor_id": None, "body": "Declared",
                    "data": {}, "pinned": False, "created_at": declared})
    return periods, entries


def _followups(rng: random.Random, row: dict[str, Any], owners: list[int]) -> list[dict[str, Any]]:
    made = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        created = (row["resolved_at"] or row["declared_at"]) + timedelta(hours=1)
        done = created + timedelta(days=rng.randint(1, 30)) if rng.random() < 0.7 else None
        made.append({"incident_id": row["id"], "text": "Fix the root cause", "owner_id": rng.choice(owners),
                     "due_on": (created + timedelta(days=14)).date(), "priority": "medium",
                     "status": "done" if done else "open", "created_by_id": None, "created_at": created,
                     "updated_at": done or created, "done_at": done, "issue_link": "none", "github_error": ""})
    return made


def seed(runtime: Runtime, count: int, seed_value: int = 9) -> None:
    rng = random.Random(seed_value)
    now = runtime.clock.now()
    with runtime.database.writing() as db:
        first = int(db.scalar(sa.select(sa.func.coalesce(sa.func.max(Incident.id), 0))) or 0) + 1
        owners = list(db.scalars(sa.text("SELECT id FROM users")))
    declared_times = sorted(now - SPAN * rng.random() for _ in range(count))
    for offset in range(0, count, BATCH):
        rows = [_incident(rng, first + offset + i, declared, now)
                for i, declared in enumerate(declared_times[offset:offset + BATCH])]
        periods: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        followups: list[dict[str, Any]] = []
        for row in rows:
            p, e = _periods(rng, row)
            periods += p
            entries += e
            followups += _followups(rng, row, owners)
        with runtime.database.writing() as db:
            db.execute(sa.insert(Incident), rows)
            db.execute(sa.insert(StatusPeriod), periods)
            db.execute(sa.insert(TimelineEntry), entries)
            db.execute(sa.insert(FollowUp), followups)
    with runtime.database.writing() as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(sa.text("SELECT setval(pg_get_serial_sequence('incidents', 'id'), "
                               "(SELECT max(id) FROM incidents))"))
            db.execute(sa.text("ANALYZE"))
        else:
            db.execute(sa.text("ANALYZE"))


def measure(http: httpx.Client, path: str, requests: int) -> tuple[list[float], int, float]:
    """The timed requests' latencies and size, and the first request's latency (the one that keeps the weeks
    not yet in the roll-up)."""
    started = time.perf_counter()
    assert http.get(path).status_code == 200
    first = (time.perf_counter() - started) * 1000
    for _ in range(2):
        assert http.get(path).status_code == 200
    latencies = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        response = http.get(path)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
        size = len(response.content)
    return latencies, size, first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        started = time.perf_counter()
        seed(store.runtime, args.incidents)
        print(f"seeded {args.incidents} incidents ({store_name}) in {time.perf_counter() - started:.1f} s")
        cookie = session_cookie_for(store.runtime)
        with server(store) as base, httpx.Client(base_url=base, cookies={"warroom_session": cookie},
                                                  timeout=60) as http:
            for path in ("/insights", "/insights?weeks=52", "/insights?weeks=104", "/api/v1/insights"):
                latencies, size, first = measure(http, path, args.requests)
                print(f"GET {path}, {args.incidents} incidents, {store_name}, sequential over HTTP: "
                      f"{summary(latencies)}; {size} bytes; first request {first:.0f} ms")
            latencies = after_changes(store.runtime, http, args.requests)
            print(f"GET /insights?weeks=104 after one incident of a past week changed, {args.incidents} incidents, "
                  f"{store_name}: {summary(latencies)}")


def after_changes(runtime: Runtime, http: httpx.Client, requests: int) -> list[float]:
    """Each request follows a committed change to an incident of a random past week (resolved late): that week is
    computed from the incidents and kept again."""
    rng = random.Random(3)
    now = runtime.clock.now()
    latencies = []
    for _ in range(requests):
        declared = now - timedelta(weeks=rng.randint(2, 100))
        with runtime.database.writing() as db:
            found = db.scalar(sa.select(Incident.id).where(Incident.declared_at >= declared)
                              .order_by(Incident.declared_at).limit(1))
            db.execute(sa.update(Incident).where(Incident.id == found).values(
                resolved_at=now, resolution="fixed"))
        started = time.perf_counter()
        response = http.get("/insights?weeks=104")
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return latencies


if __name__ == "__main__":
    main()
