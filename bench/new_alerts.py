"""New alerts fully processed per second: alert stored, escalation scheduled, first notification queued.

    .venv/bin/python -m bench.new_alerts [--rate 1000] [--seconds 60] [--database-url URL] [--engine-process]

Target (issue 3): >= 1,000 new alerts/s sustained for 60 s. Every event has a new dedup key (a new alert) for a
team whose on-call person has the default rule (an email now; with no SMTP server configured the engine writes
it to the log, so the send itself costs next to nothing and the figure is Warroom's own processing).
`--engine-process` runs the engine as its own `warroom engine` process beside the web process (the way to use
both cores); otherwise the engine is the thread inside `warroom serve`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from bench.harness import Store, fresh_store, machine, server
from bench.loadgen import run_load
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.notifications.models import Notification
from warroom.oncall.alerts.models import Alert
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key


def prepare(store: Store) -> str:
    system = Actor.system(store.runtime.clock)
    with store.runtime.database.writing() as db:
        bob = accounts.find_person(db=db, who="bob")
        team = accounts.create_team(db=db, actor=system, slug="bench", name="Bench")
        accounts.add_member(db=db, actor=system, team=team, user=bob)
        return create_key(db=db, actor=system, name="bench", kind=KeyKind.pagerduty, team=team).secret


def per_second(times: list[datetime], start: float) -> Counter[int]:
    return Counter(int(t.timestamp() - start) for t in times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--engine-process", action="store_true")
    parser.add_argument("--drain-seconds", type=float, default=120)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        key = prepare(store)

        def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
            body = {"routing_key": key, "event_action": "trigger", "dedup_key": f"new-{n}",
                    "payload": {"summary": f"new alert {n}", "source": "bench", "severity": "critical"}}
            return "POST", "/v2/enqueue", {"Content-Type": "application/json"}, json.dumps(body).encode()

        engine = None
        if args.engine_process:
            env = dict(os.environ, WARROOM_DATABASE_URL=store.url, WARROOM_DATA_DIR=str(store.settings.data_dir),
                       WARROOM_SECRET_KEY="bench", WARROOM_ENGINE_TICK_SECONDS="0.05")
            engine = subprocess.Popen([sys.executable, "-m", "warroom.cli", "engine"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with server(store, engine=not args.engine_process) as base:
                start = time.time()
                result = run_load(base, make, rate=args.rate, seconds=args.seconds, connections=64)
                sent_for = time.time() - start
                total = result.sent
                deadline = time.monotonic() + args.drain_seconds
                while time.monotonic() < deadline and count_queued(store) < total:
                    time.sleep(0.5)
        finally:
            if engine is not None:
                engine.terminate()
                engine.wait(timeout=30)
        report(store, args, start, sent_for, result.statuses)


def count_queued(store: Store) -> int:
    with store.runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count(sa.distinct(Notification.alert_id)))) or 0)


def report(store: Store, args: argparse.Namespace, start: float, sent_for: float, statuses: dict[int, int]) -> None:
    with store.runtime.database.reading() as db:
        alerts = list(db.scalars(sa.select(Alert.created_at)))
        firsts = list(db.scalars(sa.select(sa.func.min(Notification.created_at)).group_by(Notification.alert_id)))
    window = int(args.seconds)
    stored, processed = per_second(alerts, start), per_second(firsts, start)
    in_window = sum(n for second, n in processed.items() if second < window)
    steady = [processed.get(s, 0) for s in range(5, window)]  # after the first seconds' ramp
    last = max(firsts).timestamp() - start if firsts else float("nan")
    how = "engine process" if args.engine_process else "engine thread"
    print(f"offered {args.rate:.0f} new alerts/s for {args.seconds:.0f} s ({how}, {store.runtime.database.dialect}); "
          f"answers {dict(statuses)} in {sent_for:.1f} s")
    print(f"stored {len(alerts)} alerts ({sum(n for s, n in stored.items() if s < window) / window:.0f}/s in the "
          f"window); fully processed within the window: {in_window} ({in_window / window:.0f}/s), steady seconds "
          f"5-{window}: min {min(steady) if steady else 0}/s, mean {sum(steady) / max(len(steady), 1):.0f}/s; "
          f"all {len(firsts)} processed {last:.1f} s after the start")


if __name__ == "__main__":
    main()
