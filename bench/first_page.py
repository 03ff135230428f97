"""Alert → first notification: new alerts arrive at a fixed rate; how long until the page reaches the person.

    .venv/bin/python -m bench.first_page [--rate 100] [--seconds 20]

Target (issue 3): at 100 new alerts/s, p50 <= 200 ms and p99 <= 1 s from the PagerDuty event being sent to the
webhook page arriving. One `warroom serve`-style process (web + API + engine thread) on SQLite.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.harness import fresh_store, machine, percentile, server
from bench.loadgen import run_load
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.notifications import service as notifications
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--drain-seconds", type=float, default=120)
    args = parser.parse_args()
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            with lock:
                arrived.setdefault(body["alert"]["message"], time.perf_counter())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.daemon_threads = True
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/pages"
    print(f"machine: {machine()}")
    with fresh_store() as store:
        system = Actor.system(store.runtime.clock)
        with store.runtime.database.writing() as db:
            bob = accounts.find_person(db=db, who="bob")
            team = accounts.create_team(db=db, actor=system, slug="bench", name="Bench")
            accounts.add_member(db=db, actor=system, team=team, user=bob)
            method = notifications.add_contact_method(db=db, actor=system, user=bob, kind="webhook", address=url,
                                                      outbound=store.runtime.outbound)
            notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
            key = create_key(db=db, actor=system, name="bench", kind=KeyKind.pagerduty, team=team).secret
        sent: dict[str, float] = {}
        start = time.perf_counter()

        def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
            summary = f"bench alert {n}"
            sent[summary] = start + n / args.rate  # the scheduled send time
            body = {"routing_key": key, "event_action": "trigger", "dedup_key": f"first-{n}",
                    "payload": {"summary": summary, "source": "bench", "severity": "critical"}}
            return "POST", "/v2/enqueue", {"Content-Type": "application/json"}, json.dumps(body).encode()

        with server(store, engine=True) as base:
            start = time.perf_counter()
            result = run_load(base, make, rate=args.rate, seconds=args.seconds, connections=16)
            deadline = time.monotonic() + args.drain_seconds
            while time.monotonic() < deadline and len(arrived) < len(sent):
                time.sleep(0.2)
    receiver.shutdown()
    latencies = [(arrived[s] - t) * 1000 for s, t in sent.items() if s in arrived]
    print(f"offered {args.rate:.0f} new alerts/s for {args.seconds:.0f} s: {result.sent} sent, "
          f"{len(latencies)} pages arrived within {args.drain_seconds:.0f} s of the end; event -> page p50 "
          f"{percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms, "
          f"max {max(latencies) if latencies else float('nan'):.0f} ms")


if __name__ == "__main__":
    main()
