"""Durable ingest: mixed PagerDuty / Opsgenie / Alertmanager bodies over 2,000 distinct keys.

    .venv/bin/python -m bench.ingest [--database-url URL] [--seconds 20]

Targets (issue 3): >= 2,500 events/s on SQLite and >= 2,000 on PostgreSQL; p99 <= 50 ms at 1,000 events/s
offered. Every answer is 2xx only after commit (alert row + escalation job in one transaction).
"""

from __future__ import annotations

import argparse
import json

from bench.harness import fresh_store, machine, percentile, server
from bench.loadgen import LoadResult, run_load
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key
from warroom.runtime import Runtime

KEYS = 2000


def make_keys(runtime: Runtime) -> dict[str, str]:
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        system = Actor.system(runtime.clock)
        return {kind.value: create_key(db=db, actor=system, name=f"bench {kind.value}", kind=kind, team=team).secret
                for kind in (KeyKind.pagerduty, KeyKind.opsgenie, KeyKind.alertmanager)}


def request_maker(keys: dict[str, str]):  # type: ignore[no-untyped-def]
    json_type = {"Content-Type": "application/json"}

    def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
        key = n % KEYS
        kind = n % 3
        if kind == 0:
            body = {"routing_key": keys["pagerduty"], "event_action": "trigger", "dedup_key": f"pd-{key}",
                    "payload": {"summary": f"High error rate on shard {key}", "source": "bench", "severity": "error",
                                "custom_details": {"n": n}}}
            return "POST", "/v2/enqueue", json_type, json.dumps(body).encode()
        if kind == 1:
            body = {"message": f"Disk almost full on host {key}", "alias": f"og-{key}", "priority": "P2",
                    "tags": ["bench"], "details": {"n": str(n)}}
            headers = json_type | {"Authorization": f"GenieKey {keys['opsgenie']}"}
            return "POST", "/v2/alerts", headers, json.dumps(body).encode()
        body = {"version": "4", "groupKey": f"{{}}:{{alertname=\"Bench{key}\"}}", "truncatedAlerts": 0,
                "status": "firing", "receiver": "warroom", "groupLabels": {"alertname": f"Bench{key}"},
                "commonLabels": {"alertname": f"Bench{key}", "severity": "warning"}, "commonAnnotations": {},
                "externalURL": "http://alertmanager.bench", "alerts": [{
                    "status": "firing", "labels": {"alertname": f"Bench{key}", "instance": f"host-{key}"},
                    "annotations": {"summary": f"Bench alert {key}"}, "startsAt": "2026-11-28T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus.bench",
                    "fingerprint": f"{key:016x}"}]}
        headers = json_type | {"Authorization": f"Bearer {keys['alertmanager']}"}
        return "POST", "/api/v1/integrations/alertmanager", headers, json.dumps(body).encode()

    return make


def describe(label: str, result: LoadResult) -> str:
    lat = result.latencies_ms
    ok = sum(n for status, n in result.statuses.items() if 200 <= status < 300)
    return (f"{label}: offered {result.offered_rate:.0f}/s for {result.seconds:.1f}s -> answered "
            f"{result.achieved_rate:.0f}/s, 2xx {ok}/{result.sent}, other {dict(result.statuses)}, "
            f"errors {result.errors}; latency p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
            f"max {max(lat) if lat else float('nan'):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--app", default="warroom.asgi:create_from_environment",
                        help="the app factory to serve (bench.routing_variants:without_ingest_fast_path: "
                             "the same app without its path ahead of the router)")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rates", type=float, nargs="+", default=[1000, 2000, 2500, 3000])
    args = parser.parse_args()
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        keys = make_keys(store.runtime)
        with server(store, factory=args.app) as base:
            make = request_maker(keys)
            # Warm-up: every (tool, key) pair once — each key is sent by all three tools over a run, and each
            # tool dedups in its own scope, so 2,000 keys are 6,000 open alerts. Measured runs then dedup.
            run_load(base, make, rate=500, seconds=3 * KEYS / 500)
            for rate in args.rates:
                result = run_load(base, make, rate=rate, seconds=args.seconds)
                print(describe(f"{store_name} ingest (engine off)", result), flush=True)


if __name__ == "__main__":
    main()
