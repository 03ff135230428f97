"""Two `warroom serve` processes on one PostgreSQL behind haproxy (Debian's), reached only through it.

The start of issue 16's topology: each process listens on its own loopback port (not yet its own network
namespace), and no process is killed yet. Skipped unless the store is PostgreSQL and haproxy is installed.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.factories import Factory
from tests.faults.support import Served, start_serve, stop
from tests.scaleout.test_live_across_processes import LIVENESS, follow, signed_in
from tests.support import free_port, wait_until
from warroom.runtime import Runtime

pytestmark = [pytest.mark.topology, pytest.mark.postgres_only,
              pytest.mark.skipif(shutil.which("haproxy") is None, reason="needs haproxy (Debian package haproxy)")]

WEB_PROCESSES = 2


def haproxy_config(port: int, backends: list[Served]) -> str:
    servers = "\n".join(f"    server web{n} 127.0.0.1:{served.port} check inter 500ms"
                        for n, served in enumerate(backends))
    return f"""global
    maxconn 256
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 60s
frontend warroom
    bind 127.0.0.1:{port}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /api/v1/health
{servers}
"""


@contextmanager
def load_balancer(backends: list[Served], folder: Path) -> Iterator[str]:
    port = free_port()
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends))
    process = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def every_backend_up() -> bool:
        try:  # round robin: as many answers in a row as backends, each 200, once every health check passed
            return all(httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200 for _ in backends)
        except httpx.HTTPError:
            return False

    try:
        wait_until(every_backend_up, 30, what="haproxy to reach every web process")
        time.sleep(1.5)  # every server's health check has passed at least once more
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def topology(runtime: Runtime, tmp_path: Path) -> Iterator[tuple[str, list[Served]]]:
    url = runtime.settings.resolved_database_url()
    with ExitStack() as stack:
        backends = []
        for n in range(WEB_PROCESSES):
            served = start_serve(url, tmp_path / f"web{n}", engine=False)
            stack.callback(stop, served.process)
            backends.append(served)
        yield stack.enter_context(load_balancer(backends, tmp_path)), backends


def test_a_stream_through_the_load_balancer_sees_every_message_posted_through_it(
        factory: Factory, topology: tuple[str, list[Served]]) -> None:
    base, _ = topology
    bob = factory.user("bob")
    factory.incident(bob, title="Checkout is down")
    token = factory.token(bob)
    arrived: queue.Queue[tuple[float, dict[str, str]]] = queue.Queue()
    opened = threading.Event()
    browser = signed_in(base, "bob")
    threading.Thread(target=follow, args=(browser, "/incidents/INC-1/events", arrived, opened), daemon=True).start()
    assert opened.wait(10)
    for n in range(2 * WEB_PROCESSES):  # round robin: posts land on every web process, the stream's and the others
        with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=10) as api:
            posted = time.monotonic()
            answer = api.post("/api/v1/incidents/INC-1/messages", json={"text": f"update {n}"})
        assert answer.status_code == 201, answer.text
        entry = str(answer.json()["id"])
        while True:
            try:
                at, event = arrived.get(timeout=LIVENESS)
            except queue.Empty:
                raise AssertionError(f"message {n} did not reach the stream within {LIVENESS} s") from None
            if event.get("event") == "entry" and event.get("id") == entry:
                break
        assert at - posted < LIVENESS
    browser.close()


def test_a_token_revoked_through_the_load_balancer_is_refused_by_every_web_process_at_once(
        factory: Factory, topology: tuple[str, list[Served]]) -> None:
    base, backends = topology
    token = factory.token(factory.user("bob"))
    bearer = {"authorization": f"Bearer {token}"}
    for served in backends:  # each process now remembers the token for 2 s
        assert httpx.get(f"{served.base}/api/v1/incidents", headers=bearer, timeout=10).status_code == 200
    with httpx.Client(base_url=base, headers=bearer, timeout=10) as api:
        mine = api.get("/api/v1/tokens").json()["items"][0]["id"]
        assert api.delete(f"/api/v1/tokens/{mine}").status_code == 200
    for served in backends:
        assert wait_until(refused(served.base, bearer), LIVENESS, every=0.02), \
            f"web process on port {served.port} still took the revoked token"


def refused(base: str, headers: dict[str, str]) -> Callable[[], bool]:
    return lambda: httpx.get(f"{base}/api/v1/incidents", headers=headers, timeout=10).status_code == 401
