"""The engine's own cost per page: alerts raised, then the engine ticks in this process until every page is out.

    .venv/bin/python -m bench.engine_pages [--alerts 200] [--rounds 5] [--database-url postgresql://…]

Each round raises ``--alerts`` new alerts (each pages bob by webhook, at once), then times ``Engine.tick()`` until
no job is pending: the escalation steps, the claim, the sends to a receiver in its own process and the record of
every sent page. CPU is this process's (the engine's and nothing else: no HTTP serving, no ingest), per page.
Figures for docs/benchmarks.md, never a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from bench.harness import fresh_store, machine
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.engine.models import Job, JobState
from warroom.engine.runner import Engine
from warroom.notifications import service as notifications
from warroom.oncall.alerts import service as alerts
from warroom.runtime import Runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    receiver = subprocess.Popen([sys.executable, "-m", "bench.page_receiver"], stdout=subprocess.PIPE, text=True,
                                stderr=subprocess.DEVNULL)
    assert receiver.stdout is not None
    port = int(receiver.stdout.readline())
    threading.Thread(target=receiver.stdout.read, daemon=True).start()  # arrivals are not needed here
    print(f"machine: {machine()}; receiver in its own process")
    try:
        with fresh_store(args.database_url) as store:
            engine = store.runtime.engine()  # one engine for every round: its send threads and connections kept
            per_page = [one_round(store.runtime, engine, args.alerts, n, port) for n in range(args.rounds)]
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    print(f"engine CPU per page, median of {args.rounds} rounds of {args.alerts}: "
          f"{statistics.median(per_page):.3f} ms (rounds: {', '.join(f'{ms:.3f}' for ms in per_page)})")


def one_round(runtime: Runtime, engine: Engine, count: int, round_number: int, port: int) -> float:
    bob = page_bob_by_webhook(runtime, port) if round_number == 0 else bob_id(runtime)
    for n in range(count):
        with runtime.database.writing() as db:
            alerts.raise_alert(db=db, actor=Actor.system(runtime.clock), spec=alerts.AlertSpec(
                message=f"round {round_number} alert {n}", alias=f"r{round_number}-{n}",
                responders=[{"type": "user", "id": bob}]))
    cpu, wall, ticks = time.process_time(), time.perf_counter(), 0
    while time.perf_counter() - wall < 120:  # a page that cannot go out would be retried for minutes
        engine.tick()
        ticks += 1
        with runtime.database.reading() as db:
            if not db.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.pending)):
                break
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"round {round_number}: {count} pages in {ticks} ticks, {wall * 1000 / count:.3f} ms/page wall, "
          f"{cpu * 1000 / count:.3f} ms/page CPU", flush=True)
    return cpu * 1000 / count


def page_bob_by_webhook(runtime: Runtime, port: int) -> int:
    with runtime.database.writing() as db:
        bob = accounts.find_person(db=db, who="bob")
        system = Actor.system(runtime.clock)
        method = notifications.add_contact_method(db=db, actor=system, user=bob, kind="webhook",
                                                  address=f"http://127.0.0.1:{port}/pages",
                                                  outbound=runtime.outbound)
        notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
        return bob.id


def bob_id(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        return accounts.find_person(db=db, who="bob").id


if __name__ == "__main__":
    main()
