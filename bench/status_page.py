"""The public status page: cached requests/s and p99 over HTTP (wrk), and the uncached render in-process.

    .venv/bin/python -m bench.status_page [--seconds 10] [--connections 16 64] [--renders 50] [--database-url URL]

Target (issue 4): a page with 10 components, 90 days of history and 200 past incidents serves >= 3,000
requests/s with p99 < 20 ms when cached, and renders in < 50 ms uncached. Needs `wrk`.

The history is made through the real flows (draft, publish) with a clock set to each moment, so the
components' state changes, public incidents and updates are exactly what the product would have stored.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bench.harness import fresh_store, machine, percentile, server, summary
from warroom.asgi import tune_interpreter
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.incidents import flows as incident_flows
from warroom.runtime import Runtime
from warroom.statuspage import flows, service
from warroom.web.statuspage import RenderCache, build

SLUG = "bench"
COMPONENTS = ["Web app", "Search", "Code intelligence", "API", "Sign-in", "Billing", "Notifications", "Exports",
              "Webhooks", "Admin console"]
LUA = """
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d errors=%d\\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def make_history(runtime: Runtime, incidents: int, seed: int = 4) -> None:
    """A page of 10 components and ``incidents`` resolved public incidents spread over the last 90 days."""
    rng = random.Random(seed)
    now = runtime.clock.now()
    first = now - timedelta(days=89, hours=23)
    clock = FakeClock(first - timedelta(days=1))
    actor = Actor.system(clock)
    with runtime.database.writing() as db:
        page = service.create_page(db=db, actor=actor, slug=SLUG, name="Bench Cloud", team="customer-support")
        for group in ("Product", "Platform"):
            service.create_group(db=db, actor=actor, page=page, name=group)
        ids = [service.create_component(db=db, actor=actor, page=page, name=name,
                                        group="Product" if i < 5 else "Platform").id
               for i, name in enumerate(COMPONENTS)]
    starts = sorted(first + timedelta(seconds=rng.uniform(0, 89 * 86400)) for _ in range(incidents))
    for n, start in enumerate(starts):
        clock.set(start)
        affected = rng.sample(ids, rng.randint(1, 3))
        state = rng.choice(["degraded", "partial_outage", "major_outage"])
        with runtime.database.writing() as db:
            ref = incident_flows.declare_incident(db=db, actor=actor, title=f"bench {n}", severity="major",
                                                  customer_impact=True).incident.ref
            steps = [("investigating", state, timedelta(0)), ("monitoring", "degraded", timedelta(minutes=40)),
                     ("resolved", "operational", timedelta(minutes=rng.randint(60, 240)))]
            for status, component_state, after in steps:
                clock.set(start + after)
                draft = flows.draft_update(db=db, actor=actor, ref=ref, status=status,
                                           title=f"Problems with {COMPONENTS[ids.index(affected[0])]} ({n})")
                flows.publish_update(db=db, actor=actor, ref=ref, update_id=draft.id, pages=[SLUG],
                                     components=dict.fromkeys(affected, component_state))


def uncached_renders(runtime: Runtime, count: int) -> list[float]:
    """Milliseconds to read and render the HTML page with nothing cached, ``count`` times."""
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        rendered = build(runtime, SLUG, "html", RenderCache())
        timings.append((time.perf_counter() - started) * 1000)
        assert rendered is not None
    return timings


def run_wrk(wrk: str, url: str, seconds: int, connections: int, gzip: bool) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA)
    headers = ["-H", "Accept-Encoding: gzip"] if gzip else []
    try:
        result = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *headers,
                                 "-s", script.name, url], capture_output=True, text=True, check=True)
    finally:
        Path(script.name).unlink()
    return next(x for x in result.stdout.splitlines() if x.startswith("RESULT"))[7:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--app", default="warroom.asgi:create_from_environment",
                        help="the app factory to serve (bench.routing_variants:without_status_cache: "
                             "the same app without its path ahead of the router)")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    print(f"machine: {machine()}")
    store_name = "postgresql" if args.database_url else "sqlite"
    tune_interpreter()  # as the server process does, so the in-process render is measured alike
    with fresh_store(args.database_url) as store:
        started = time.perf_counter()
        make_history(store.runtime, args.incidents)
        print(f"{store_name}: made 10 components, {args.incidents} incidents over 90 days "
              f"in {time.perf_counter() - started:.1f} s")
        renders = uncached_renders(store.runtime, args.renders)
        print(f"{store_name} uncached render (read + HTML, in-process): {summary(renders)} "
              f"max={max(renders):.2f} ms")
        with server(store, factory=args.app) as base:
            url = f"{base}/status/{SLUG}"
            page = httpx.get(url, headers={"accept-encoding": "identity"})
            page.raise_for_status()
            zipped = httpx.get(url, headers={"accept-encoding": "gzip"})
            print(f"page: {len(page.content) / 1024:.0f} KB ({int(zipped.headers['content-length']) / 1024:.0f} KB "
                  f"gzipped), {page.headers['cache-control']}, ETag {page.headers['etag']}")
            httpx.get(url).raise_for_status()  # the cache is warm
            for gzip in (True, False):
                for connections in args.connections:
                    line = run_wrk(wrk, url, args.seconds, connections, gzip)
                    encoding = "gzip (as browsers ask)" if gzip else "uncompressed"
                    print(f"{store_name} cached GET /status/{SLUG}, {encoding}, {connections} connections, "
                          f"{args.seconds}s: {line}")
            # For comparison: revalidation (If-None-Match -> 304), as browsers do after max-age.
            latencies = []
            with httpx.Client() as client:
                etag = client.get(url).headers["etag"]
                for _ in range(500):
                    t0 = time.perf_counter()
                    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
                    latencies.append((time.perf_counter() - t0) * 1000)
            print(f"{store_name} 304 revalidation, sequential: {summary(latencies)}; "
                  f"p99.9={percentile(latencies, 99.9):.2f} ms, mean={statistics.fmean(latencies):.2f} ms")


if __name__ == "__main__":
    main()
