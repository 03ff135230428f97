"""Resident memory of a running Warroom (web + API + engine) with 100,000 open alerts.

    .venv/bin/python -m bench.memory [--alerts 100000]

Target (issue 3): RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.harness import fresh_store, machine, server, session_cookie_for, token_for
from warroom.oncall.alerts.models import Alert


def insert_open_alerts(store_runtime, count: int) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rows = [{"alias": f"mem-{n}", "dedup_scope": "", "status": "open", "message": f"Disk {n} almost full",
             "description": "", "priority": "P3", "source": "bench", "entity": "", "tags": [], "details": {},
             "responders": [], "count": 1, "created_at": now, "updated_at": now, "last_occurred_at": now,
             "escalation_step": 0, "escalation_round": 0, "escalation_generation": 0}
            for n in range(count)]
    with store_runtime.database.writing() as db:
        for start in range(0, count, 10_000):
            db.execute(sa.insert(Alert), rows[start:start + 10_000])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=100_000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with fresh_store() as store:
        insert_open_alerts(store.runtime, args.alerts)
        token = token_for(store.runtime)
        cookie = session_cookie_for(store.runtime)
        with server(store, engine=True) as base:
            pid = int(subprocess.run(["pgrep", "-f", "--", f"--port {base.rsplit(':', 1)[1]}"],
                                     capture_output=True, text=True, check=True).stdout.split()[0])
            idle = rss_mb(pid)
            with httpx.Client(base_url=base, timeout=60) as http:
                for _ in range(20):
                    http.get("/api/v1/alerts?status=open&limit=200", headers={"Authorization": f"Bearer {token}"})
                    http.get("/alerts", cookies={"warroom_session": cookie})
                    http.get("/", cookies={"warroom_session": cookie})
                    http.get("/oncall", cookies={"warroom_session": cookie})
                time.sleep(3)  # a few engine ticks
            busy = rss_mb(pid)
    print(f"RSS with {args.alerts} open alerts: {idle:.0f} MB after start, {busy:.0f} MB after 80 page and API "
          f"reads and engine ticks")


if __name__ == "__main__":
    main()
