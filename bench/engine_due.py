"""10,000 escalation steps due in the same minute: lateness, early sends, and the exact number of pages.

    .venv/bin/python -m bench.engine_due [--alerts 10000] [--limit-seconds 600]

Target (issue 3): none early, p99 lateness <= 1 s, exactly 10,000 sends. One `warroom engine` process on
SQLite; pages go by webhook to a local receiver that notes each arrival.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness import fresh_store, machine, percentile
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.notifications import service as notifications
from warroom.oncall.alerts import service as alerts


class Arrivals:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at: dict[str, list[float]] = {}

    def add(self, message_id: str) -> None:
        with self.lock:
            self.at.setdefault(message_id, []).append(time.time())


def start_receiver(arrivals: Arrivals) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            arrivals.add(self.headers["webhook-id"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/pages"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--limit-seconds", type=float, default=600)
    args = parser.parse_args()
    arrivals = Arrivals()
    receiver, url = start_receiver(arrivals)
    print(f"machine: {machine()}")
    with fresh_store() as store:
        runtime = store.runtime
        with runtime.database.writing() as db:
            bob = accounts.find_person(db=db, who="bob")
            system = Actor.system(runtime.clock)
            method = notifications.add_contact_method(db=db, actor=system, user=bob, kind="webhook", address=url,
                                                      outbound=runtime.outbound)
            notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
        # Every step falls due within one minute, starting once everything is written.
        setup_estimate = args.alerts * 0.004 + 10
        start = datetime.now(UTC) + timedelta(seconds=setup_estimate)
        clock = FakeClock(start)
        due: dict[int, datetime] = {}
        for n in range(args.alerts):
            clock.set(start + timedelta(seconds=60 * n / args.alerts))
            with runtime.database.writing() as db:
                raised = alerts.raise_alert(db=db, actor=Actor.system(clock), spec=alerts.AlertSpec(
                    message=f"step {n}", alias=f"due-{n}", responders=[{"type": "user", "id": bob.id}]))
            due[raised.alert_id] = clock.now()
        ready = datetime.now(UTC)
        print(f"{args.alerts} alerts written; first step due in {(start - ready).total_seconds():.1f} s")
        env = dict(os.environ, WARROOM_DATABASE_URL=store.url, WARROOM_DATA_DIR=str(store.settings.data_dir),
                   WARROOM_SECRET_KEY="bench", WARROOM_ENGINE_TICK_SECONDS="0.05",
                   WARROOM_OUTBOUND_ALLOW=store.settings.outbound_allow)
        engine = subprocess.Popen([sys.executable, "-m", "warroom.cli", "engine"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + args.limit_seconds
        try:
            while time.monotonic() < deadline and len(arrivals.at) < args.alerts:
                time.sleep(0.5)
            time.sleep(2)
        finally:
            engine.terminate()
            engine.wait(timeout=30)
    receiver.shutdown()
    report(args.alerts, due, arrivals)


def report(expected: int, due: dict[int, datetime], arrivals: Arrivals) -> None:
    lateness = []
    early = 0
    raw = 0
    for message_id, times in arrivals.at.items():
        raw += len(times)
        alert_id = int(message_id.split("-")[1])  # ntf-<alert>-g…
        late = times[0] - due[alert_id].timestamp()
        early += late < 0
        lateness.append(late * 1000)
    print(f"pages: {len(arrivals.at)} distinct of {expected} expected, {raw} raw sends, {early} early; "
          f"lateness p50 {percentile(lateness, 50):.0f} ms, p99 {percentile(lateness, 99):.0f} ms, "
          f"max {max(lateness) if lateness else float('nan'):.0f} ms")


if __name__ == "__main__":
    main()
