"""Every ingest format as users send it: events/s durable, p50/p99, and the server's CPU ms per event.

    .venv/bin/python -m bench.ingest_formats [--database-url URL] [--seconds 8] [--rate 1000] [--only NAME ...]
    .venv/bin/python -m bench.ingest_formats --pages [--page-rate 100]

Formats: Alertmanager webhooks (groups of 1, 10 and 100 alerts, firing and resolved), Opsgenie create and
close, PagerDuty trigger and resolve, Opsgenie heartbeat pings. Each is driven into one real server process
(`uvicorn` serving `warroom.asgi:create_from_environment`, as `warroom serve` does; engine off) both open loop
(a fixed arrival rate, latency from each request's scheduled time) and closed loop (32 connections, each sending
its next request when the previous one is answered). The generator runs on the same cores as the server.

An event is one alert (a group of 100 alerts is 100 events). "CPU ms/event" is the server process's user + system
time from /proc/<pid>/stat over the run divided by the events answered 2xx: it does not move with the machine's
load the way wall-clock figures do. Every 2xx is sent after the commit that holds the event.

Firing runs land on 2,000 open alerts per format (a warm-up opens them), as Alertmanager's repeat notifications
do; resolved and close runs close those 2,000 and then find them closed (a no-op, as a repeated resolve is).

`--pages` measures new distinct alerts end to end instead: one `warroom serve`-style process with its engine
thread, PagerDuty triggers with new dedup keys, the on-call person paged by webhook to a local receiver; it
reports alerts/s fully processed (page delivered) for a closed-loop burst and alert -> page p50/p99 at a fixed rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.harness import LOOPBACK, Store, fresh_store, machine, percentile, server
from bench.loadgen import RequestMaker, _encode, _read_response, run_load
from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.notifications import service as notifications
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.keys.service import create_key

KEYS = 2000
HEARTBEATS = 200
CONNECTIONS = 32
JSON = {"Content-Type": "application/json"}
PY_SPY = os.environ.get("PY_SPY", "py-spy")  # e.g. PY_SPY=/path/to/bin/py-spy
# PY_SPY_GIL=1 samples only the thread holding the GIL: where the process's Python CPU goes, waits left out.
PY_SPY_GIL = ["--gil"] if os.environ.get("PY_SPY_GIL") else []


# The server's CPU time ------------------------------------------------------------------------------------------


def server_pid(base: str) -> int:
    """The uvicorn process listening on base's port (found from its command line)."""
    port = str(urlsplit(base).port)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"uvicorn" in argv and b"--port" in argv and argv[argv.index(b"--port") + 1].decode() == port:
            return int(entry.name)
    raise RuntimeError(f"no server process on port {port}")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# Bodies as each tool sends them ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Format:
    name: str
    events_per_request: int
    make: Callable[[dict[str, str], int], tuple[str, str, dict[str, str], bytes]]
    warm: str | None = None  # the format whose firing bodies open this one's alerts first


def alertmanager(size: int, status: str) -> Callable[[dict[str, str], int], tuple[str, str, dict[str, str], bytes]]:
    groups = KEYS // size

    def make(keys: dict[str, str], n: int) -> tuple[str, str, dict[str, str], bytes]:
        group = n % groups
        alerts = []
        for i in range(size):
            key = group * size + i
            alerts.append({
                "status": status, "labels": {"alertname": f"Bench{size}", "group": f"g{group}",
                                             "instance": f"host-{key}", "severity": "warning"},
                "annotations": {"summary": f"Bench alert {key} of group {group}",
                                "description": f"Host host-{key} has been failing for 5 minutes."},
                "startsAt": "2026-12-07T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-07T10:05:00Z",
                "generatorURL": "http://prometheus.bench/graph?g0.expr=up", "fingerprint": f"{size:02x}{key:014x}"})
        body = {"version": "4", "groupKey": f"{{}}:{{alertname=\"Bench{size}\", group=\"g{group}\"}}",
                "truncatedAlerts": 0, "status": status, "receiver": "warroom",
                "groupLabels": {"alertname": f"Bench{size}", "group": f"g{group}"},
                "commonLabels": {"alertname": f"Bench{size}", "group": f"g{group}", "severity": "warning"},
                "commonAnnotations": {}, "externalURL": "http://alertmanager.bench", "alerts": alerts}
        headers = JSON | {"Authorization": f"Bearer {keys['alertmanager']}"}
        return "POST", "/api/v1/integrations/alertmanager", headers, json.dumps(body).encode()

    return make


def opsgenie_create(keys: dict[str, str], n: int) -> tuple[str, str, dict[str, str], bytes]:
    key = n % KEYS
    body = {"message": f"Disk almost full on host {key}", "alias": f"og-{key}", "priority": "P2",
            "description": f"/var on host-{key} is 95% full.", "tags": ["bench", "disk"],
            "details": {"host": f"host-{key}", "n": str(n)}, "entity": f"host-{key}", "source": "bench"}
    return "POST", "/v2/alerts", JSON | {"Authorization": f"GenieKey {keys['opsgenie']}"}, json.dumps(body).encode()


def opsgenie_close(keys: dict[str, str], n: int) -> tuple[str, str, dict[str, str], bytes]:
    body = {"user": "bench", "source": "bench", "note": "Disk cleaned up"}
    return ("POST", f"/v2/alerts/og-{n % KEYS}/close?identifierType=alias",
            JSON | {"Authorization": f"GenieKey {keys['opsgenie']}"}, json.dumps(body).encode())


def pagerduty(action: str) -> Callable[[dict[str, str], int], tuple[str, str, dict[str, str], bytes]]:
    def make(keys: dict[str, str], n: int) -> tuple[str, str, dict[str, str], bytes]:
        key = n % KEYS
        body: dict[str, object] = {"routing_key": keys["pagerduty"], "event_action": action, "dedup_key": f"pd-{key}"}
        if action == "trigger":
            body["payload"] = {"summary": f"High error rate on shard {key}", "source": f"shard-{key}",
                               "severity": "error", "component": "api", "group": "prod",
                               "custom_details": {"n": n, "error_rate": 0.12}}
        return "POST", "/v2/enqueue", JSON, json.dumps(body).encode()

    return make


def heartbeat(keys: dict[str, str], n: int) -> tuple[str, str, dict[str, str], bytes]:
    return ("POST", f"/v2/heartbeats/bench-{n % HEARTBEATS}/ping",
            {"Authorization": f"GenieKey {keys['opsgenie']}"}, b"")


FORMATS = [
    Format("alertmanager-1-firing", 1, alertmanager(1, "firing")),
    Format("alertmanager-1-resolved", 1, alertmanager(1, "resolved"), warm="alertmanager-1-firing"),
    Format("alertmanager-10-firing", 10, alertmanager(10, "firing")),
    Format("alertmanager-10-resolved", 10, alertmanager(10, "resolved"), warm="alertmanager-10-firing"),
    Format("alertmanager-100-firing", 100, alertmanager(100, "firing")),
    Format("alertmanager-100-resolved", 100, alertmanager(100, "resolved"), warm="alertmanager-100-firing"),
    Format("opsgenie-create", 1, opsgenie_create),
    Format("opsgenie-close", 1, opsgenie_close, warm="opsgenie-create"),
    Format("pagerduty-trigger", 1, pagerduty("trigger")),
    Format("pagerduty-resolve", 1, pagerduty("resolve"), warm="pagerduty-trigger"),
    Format("heartbeat-ping", 1, heartbeat),
]
BY_NAME = {f.name: f for f in FORMATS}


def prepare(store: Store) -> dict[str, str]:
    runtime = store.runtime
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="engineering")
        system = Actor.system(runtime.clock)
        keys = {kind.value: create_key(db=db, actor=system, name=f"bench {kind.value}", kind=kind, team=team).secret
                for kind in (KeyKind.pagerduty, KeyKind.opsgenie, KeyKind.alertmanager)}
        for i in range(HEARTBEATS):
            heartbeats.create_heartbeat(db=db, actor=system, name=f"bench-{i}", interval=3600, enabled=True,
                                        team=team)
    return keys


# Closed loop ----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    requests: int = 0
    ok: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    cpu_s: float = 0.0


async def _closed(base: str, make: RequestMaker, seconds: float, connections: int, run: Run) -> None:
    parts = urlsplit(base)
    host = parts.netloc
    counter = iter(range(10**9))
    stop = time.perf_counter() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while time.perf_counter() < stop:
            method, path, headers, body = make(next(counter))
            began = time.perf_counter()
            writer.write(_encode(host, method, path, headers, body))
            await writer.drain()
            status = await _read_response(reader)
            run.latencies_ms.append((time.perf_counter() - began) * 1000)
            run.statuses[status] = run.statuses.get(status, 0) + 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(connections)))
    run.seconds = time.perf_counter() - start


def profiler(pid: int, directory: str | None, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy sampling the server while a run lasts: a flame graph (SVG) and raw collapsed stacks."""
    if directory is None:
        return None
    Path(directory).mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([PY_SPY, "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
                             *PY_SPY_GIL, "--output", f"{directory}/{name}.txt"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ, PYTHONPATH=str(Path(PY_SPY).resolve().parent.parent)))


def measure(base: str, pid: int, fmt: Format, keys: dict[str, str], *, loop: str, rate: float,
            seconds: float, profile: str | None = None) -> Run:
    def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
        return fmt.make(keys, n)

    run = Run(f"{fmt.name} {loop}")
    spy = profiler(pid, profile, f"{fmt.name}-{loop}")
    before = cpu_seconds(pid)
    if loop == "open":
        result = run_load(base, make, rate=rate / fmt.events_per_request, seconds=seconds, connections=CONNECTIONS)
        run.latencies_ms, run.statuses, run.seconds = result.latencies_ms, result.statuses, result.seconds
    else:
        asyncio.run(_closed(base, make, seconds, CONNECTIONS, run))
    run.cpu_s = cpu_seconds(pid) - before
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    run.requests = len(run.latencies_ms)
    run.ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    return run


def describe(run: Run, fmt: Format, loop: str, rate: float) -> str:
    events = run.ok * fmt.events_per_request
    lat = run.latencies_ms
    offered = f"offered {rate:.0f} events/s" if loop == "open" else f"closed loop, {CONNECTIONS} connections"
    per_event = run.cpu_s * 1000 / events if events else float("nan")
    return (f"| {fmt.name} | {offered} | {events / run.seconds:,.0f} | {run.ok}/{run.requests} "
            f"{dict(run.statuses)} | {percentile(lat, 50):.1f} ms | {percentile(lat, 99):.1f} ms | "
            f"{per_event:.2f} | {load_average()} |")


def warm_up(base: str, fmt: Format, keys: dict[str, str]) -> None:
    """Open the 2,000 alerts (or ping each heartbeat once) at ~300 new alerts/s, so measured runs find them."""
    opener = BY_NAME[fmt.warm] if fmt.warm else fmt
    per = opener.events_per_request
    requests = HEARTBEATS if opener.name == "heartbeat-ping" else KEYS // per
    rate = 300 / per
    run_load(base, lambda n: opener.make(keys, n), rate=rate, seconds=requests / rate, connections=8)


def formats_main(args: argparse.Namespace) -> None:
    chosen = [BY_NAME[name] for name in args.only] if args.only else FORMATS
    store_name = "postgresql" if args.database_url else "sqlite"
    print(f"machine: {machine()}; generator on the same cores; store: {store_name}; load average {load_average()}")
    print("| format | load | events/s (2xx) | 2xx/requests | p50 | p99 | server CPU ms/event | load average |")
    print("|---|---|---|---|---|---|---|---|")
    for fmt in chosen:
        for loop in args.loops:
            # A fresh store and server per run: a resolve run closes alerts the next run would find closed.
            with fresh_store(args.database_url) as store:
                keys = prepare(store)
                with server(store) as base:
                    pid = server_pid(base)
                    warm_up(base, fmt, keys)
                    run = measure(base, pid, fmt, keys, loop=loop, rate=args.rate, seconds=args.seconds,
                                  profile=args.profile)
                    print(describe(run, fmt, loop, args.rate), flush=True)


# New distinct alerts -> page delivered --------------------------------------------------------------------------


def pages_main(args: argparse.Namespace) -> None:
    arrived: dict[str, float] = {}
    receiver = subprocess.Popen([sys.executable, "-m", "bench.page_receiver"], stdout=subprocess.PIPE, text=True)
    assert receiver.stdout is not None
    url = f"http://127.0.0.1:{int(receiver.stdout.readline())}/pages"

    def listen(lines: typing.IO[str]) -> None:
        for line in lines:
            at, message = line.rstrip("\n").split("\t", 1)
            arrived.setdefault(message, float(at))

    threading.Thread(target=listen, args=(receiver.stdout,), daemon=True).start()
    print(f"machine: {machine()}; generator and receiver (its own process) on the same cores; "
          f"load average {load_average()}")
    try:
        for source in args.page_formats:
            for loop in args.loops[::-1]:  # closed first
                arrived.clear()
                page_run(args, loop, url, arrived, source)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


PAGE_KEYS = {"pagerduty": KeyKind.pagerduty, "opsgenie": KeyKind.opsgenie, "alertmanager": KeyKind.alertmanager}


def new_alert(source: str, key: str, n: int) -> tuple[str, str, dict[str, str], bytes, str]:
    """A request opening new alert number n as ``source`` sends it, and the message the page will carry."""
    if source == "opsgenie":
        message = f"bench alert {n}"
        body: dict[str, object] = {"message": message, "alias": f"page-{n}", "priority": "P1", "source": "bench"}
        return "POST", "/v2/alerts", JSON | {"Authorization": f"GenieKey {key}"}, json.dumps(body).encode(), message
    if source == "alertmanager":  # one alert in a group of its own, as a new group's first notification
        labels = {"alertname": "BenchPage", "group": f"p{n}", "instance": f"host-{n}", "severity": "critical"}
        annotations = {"summary": f"bench alert {n}"}
        body = {"version": "4", "groupKey": f'{{}}:{{alertname="BenchPage", group="p{n}"}}', "truncatedAlerts": 0,
                "status": "firing", "receiver": "warroom", "groupLabels": {"alertname": "BenchPage", "group": f"p{n}"},
                "commonLabels": labels, "commonAnnotations": annotations, "externalURL": "http://alertmanager.bench",
                "alerts": [{"status": "firing", "labels": labels, "annotations": annotations,
                            "startsAt": "2026-12-07T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
                            "generatorURL": "http://prometheus.bench/graph", "fingerprint": f"{n:016x}"}]}
        return ("POST", "/api/v1/integrations/alertmanager", JSON | {"Authorization": f"Bearer {key}"},
                json.dumps(body).encode(), f"[FIRING:1] BenchPage: bench alert {n}")
    message = f"bench alert {n}"
    body = {"routing_key": key, "event_action": "trigger", "dedup_key": f"page-{n}",
            "payload": {"summary": message, "source": "bench", "severity": "critical"}}
    return "POST", "/v2/enqueue", JSON, json.dumps(body).encode(), message


@contextmanager
def engine_process(store: Store, interval: float) -> Iterator[int]:
    """`warroom engine` on the bench's store, in its own process; yields its pid."""
    env = dict(os.environ, WARROOM_DATA_DIR=str(store.settings.data_dir), WARROOM_DATABASE_URL=store.url,
               WARROOM_SECRET_KEY="bench", WARROOM_SEED_DEMO="false", WARROOM_OUTBOUND_ALLOW=LOOPBACK)
    process = subprocess.Popen([sys.executable, "-m", "warroom.cli", "engine", "--interval", str(interval)],
                               env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        for line in process.stdout:  # started (imports done) before the load begins, so they are not counted
            if line.startswith("Warroom engine"):
                break
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def page_run(args: argparse.Namespace, loop: str, url: str, arrived: dict[str, float], source: str) -> None:
    with fresh_store(args.database_url) as store:
        system = Actor.system(store.runtime.clock)
        with store.runtime.database.writing() as db:
            bob = accounts.find_person(db=db, who="bob")
            team = accounts.create_team(db=db, actor=system, slug="bench", name="Bench")
            accounts.add_member(db=db, actor=system, team=team, user=bob)
            method = notifications.add_contact_method(db=db, actor=system, user=bob, kind="webhook",
                                                      address=url, outbound=store.runtime.outbound)
            notifications.add_rule(db=db, actor=system, user=bob, contact_method_id=method.id, delay_minutes=0)
            key = create_key(db=db, actor=system, name="bench", kind=PAGE_KEYS[source], team=team).secret
        sent: dict[str, float] = {}
        rate = args.page_rate
        start = time.monotonic()

        def make(n: int) -> tuple[str, str, dict[str, str], bytes]:
            method, path, headers, body, message = new_alert(source, key, n)
            sent[message] = time.monotonic() if loop == "closed" else start + n / rate
            return method, path, headers, body

        separate = args.engine_process
        with server(store, engine=not separate) as base, \
                (engine_process(store, args.engine_interval) if separate else nullcontext(None)) as engine_pid:
            pids = [server_pid(base)] + ([engine_pid] if engine_pid is not None else [])
            spies = [profiler(pid, args.profile, f"pages-{source}-{loop}-{role}")
                     for pid, role in zip(pids, ["server", "engine"], strict=False)]
            before = sum(cpu_seconds(pid) for pid in pids)
            start = time.monotonic()
            if loop == "open":
                run_load(base, make, rate=rate, seconds=args.seconds, connections=16)
            else:
                asyncio.run(_closed(base, make, args.seconds, CONNECTIONS, Run("burst")))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(arrived) < len(sent):
                time.sleep(0.1)
            cpu = sum(cpu_seconds(pid) for pid in pids) - before
            for spy in spies:
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
    finished = max(arrived.values()) - start if arrived else float("nan")
    latencies = [(arrived[s] - t) * 1000 for s, t in sent.items() if s in arrived]
    what = f"closed loop, {CONNECTIONS} connections, {args.seconds:.0f} s" if loop == "closed" else \
        f"offered {rate:.0f} new alerts/s for {args.seconds:.0f} s"
    where = (f"server + `warroom engine` (--interval {args.engine_interval:g})" if separate
             else "one server with its engine")
    print(f"pages, {source}, {where} ({what}): {len(sent)} alerts sent, {len(arrived)} pages delivered, "
          f"{len(arrived) / finished:,.0f} alerts/s fully processed (last page {finished:.1f} s after the start); "
          f"alert -> page p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms; "
          f"CPU {cpu * 1000 / max(len(arrived), 1):.2f} ms/alert; load average {load_average()}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rate", type=float, default=1000, help="events/s offered in the open-loop runs")
    parser.add_argument("--loops", nargs="+", default=["open", "closed"], choices=["open", "closed"])
    parser.add_argument("--only", nargs="+", choices=sorted(BY_NAME), default=None)
    parser.add_argument("--profile", default=None, metavar="DIR",
                        help="record each run's server with py-spy (collapsed stacks in DIR)")
    parser.add_argument("--pages", action="store_true", help="new distinct alerts -> page delivered instead")
    parser.add_argument("--page-rate", type=float, default=100)
    parser.add_argument("--page-formats", nargs="+", choices=sorted(PAGE_KEYS), default=["pagerduty"],
                        help="how the new alerts arrive (--pages)")
    parser.add_argument("--engine-process", action="store_true",
                        help="--pages: the engine as its own `warroom engine` process, the server without one")
    parser.add_argument("--engine-interval", type=float, default=1.0,
                        help="--engine-process: its --interval (on SQLite it wakes only on its interval)")
    args = parser.parse_args()
    if args.pages:
        pages_main(args)
    else:
        formats_main(args)


if __name__ == "__main__":
    main()
