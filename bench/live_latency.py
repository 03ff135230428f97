"""A room message posted through one web process, seen live by a browser connected to another.

    .venv/bin/python -m bench.live_latency [--database-url postgresql://…] [--messages 300] [--every 0.05]

Two Warroom processes (uvicorn, as `warroom serve` runs it) on one fresh database. A live stream (SSE) of an
incident's room is open on process A; messages are posted one at a time through process B's API, ``every``
seconds apart. A message's latency is from the moment its POST is sent to B until its entry arrives on A's
stream: an upper bound on commit → browser (it includes B's request). On PostgreSQL the change travels by
LISTEN/NOTIFY; with ``--database-url ''`` (SQLite) it arrives at the stream's 2 s poll.
"""

from __future__ import annotations

import argparse
import threading
import time

import httpx

from bench.harness import fresh_store, machine, server, session_cookie_for, summary, token_for

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def follow(base: str, cookie: str, ref: str, arrived: dict[str, float], opened: threading.Event,
           stop: threading.Event) -> None:
    """Read the room's stream on ``base``, noting when each entry id arrived."""
    with httpx.Client(base_url=base, cookies={"warroom_session": cookie}, timeout=60) as client, \
            client.stream("GET", f"/incidents/{ref}/events") as response:
        response.raise_for_status()
        opened.set()
        for line in response.iter_lines():
            if line.startswith("id: "):
                arrived[line[4:]] = time.monotonic()
            if stop.is_set():
                return


def run(database_url: str, messages: int, every: float) -> list[float]:
    with fresh_store(database_url or None) as store, server(store) as base_a, server(store) as base_b:
        token = token_for(store.runtime)
        api = httpx.Client(base_url=base_b, headers={"authorization": f"Bearer {token}"}, timeout=30)
        declared = api.post("/api/v1/incidents", json={"title": "Live latency bench", "severity": "major"})
        declared.raise_for_status()
        ref = declared.json()["incident"]["ref"]
        arrived: dict[str, float] = {}
        opened, stop = threading.Event(), threading.Event()
        reader = threading.Thread(target=follow, args=(base_a, session_cookie_for(store.runtime), ref, arrived,
                                                       opened, stop), daemon=True)
        reader.start()
        if not opened.wait(30):
            raise RuntimeError("the live stream did not open")
        sent: dict[str, float] = {}
        for n in range(messages):
            started = time.monotonic()
            answer = api.post(f"/api/v1/incidents/{ref}/messages", json={"text": f"bench update {n}"})
            answer.raise_for_status()
            sent[str(answer.json()["id"])] = started
            time.sleep(max(0.0, every - (time.monotonic() - started)))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not set(sent) <= set(arrived):
            time.sleep(0.05)
        stop.set()
        api.close()
        missing = set(sent) - set(arrived)
        if missing:
            raise RuntimeError(f"{len(missing)} messages never reached the stream")
        return [(arrived[entry] - sent[entry]) * 1000 for entry in sent]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a PostgreSQL server ('' for SQLite)")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--every", type=float, default=0.05, help="seconds between posts")
    args = parser.parse_args()
    latencies = run(args.database_url, args.messages, args.every)
    store = "postgresql" if args.database_url else "sqlite"
    print(f"live latency, post through B -> stream on A ({store}, {machine()}): {summary(latencies)} "
          f"max={max(latencies):.2f} ms")


if __name__ == "__main__":
    main()
