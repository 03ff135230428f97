"""Declare + update throughput and latency through the REST API (wrk as the load generator).

    .venv/bin/python -m bench.api_declare_update [--seconds 20] [--connections 8] [--database-url URL]

Target (issue 2): >= 500 requests/s on SQLite with p99 < 50 ms. Needs `wrk` (Debian package wrk).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import httpx

from bench.harness import fresh_store, machine, server, token_for

HERE = Path(__file__).parent


def prepare_incidents(base: str, token: str, count: int) -> list[str]:
    refs = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for n in range(count):
            response = http.post("/api/v1/incidents", json={"title": f"target {n}", "severity": "critical"})
            response.raise_for_status()
            refs.append(response.json()["incident"]["ref"])
    return refs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    print(f"machine: {machine()}")
    store_name = "postgresql" if args.database_url else "sqlite"
    with fresh_store(args.database_url) as store, server(store, workers=args.workers) as base:
        token = token_for(store.runtime)
        refs = prepare_incidents(base, token, 50)
        env = dict(os.environ, WARROOM_TOKEN=token, WARROOM_REFS=",".join(refs))
        for connections in args.connections:
            result = subprocess.run(
                [wrk, "-t2", f"-c{connections}", f"-d{args.seconds}s", "--latency",
                 "-s", str(HERE / "declare_update.lua"), base],
                env=env, capture_output=True, text=True, check=True)
            line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))
            print(f"{store_name} declare+update (1:4), {args.workers} worker(s), {connections} connections, "
                  f"{args.seconds}s: {line[7:]}")


if __name__ == "__main__":
    main()
