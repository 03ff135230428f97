"""Several Warroom processes on one PostgreSQL behind Debian's haproxy, each in a network namespace of its own.

``topology(...)`` starts N web/API processes (`warroom serve` with the engine off) and M `warroom engine`
processes. As root, each runs in its own network namespace (``ip netns``) with its own address on a private /24:
a bridge on the host holds ``<prefix>.1``, each namespace a veth into it with ``<prefix>.<10 + n>``. PostgreSQL
(which listens on 127.0.0.1 only) is reached from the namespaces through a relay on the bridge address
(socat, or a small Python relay when socat is not installed), so the shared server's settings are untouched.
haproxy runs on the host and is the only way in (``Topology.base``). Without root or ``ip``, every process gets
a loopback address of its own (127.<k>.0.<10 + n>) instead, and ``Topology.isolated`` says so.

Used by tests/topology/ and bench/scaling.py; run as a script it is the Python relay.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from warroom.db import migrate
from warroom.db.engine import normalise_url

from .waiting import free_port, stop_process, wait_until

SECRET_KEY = "test-secret-key"
WEB_PORT = 8080
POSTGRES_PORT = 5432
LEASE_SECONDS = 2  # a job claimed by a killed engine is claimed again this long after


@dataclass
class Node:
    """One Warroom process: its role, its namespace (or none), its address and its output."""

    role: str  # "web" or "engine"
    name: str
    namespace: str | None
    address: str
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.address}:{WEB_PORT}"

    def output(self, last: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-last:]
        except OSError:
            return ""


@dataclass
class Topology:
    """What ``topology()`` started: haproxy's URL, the processes, the database and the receivers' address."""

    base: str
    database_url: str  # as this (host) process reaches it
    host_address: str  # the host's address as the processes reach it: bind receivers here
    network: str  # the processes' /24, for WARROOM_OUTBOUND_ALLOW
    isolated: bool  # True: network namespaces; False: loopback addresses only
    webs: list[Node] = field(default_factory=list)
    engines: list[Node] = field(default_factory=list)

    def kill_9(self, node: Node) -> None:
        """SIGKILL: no shutdown handler, no flush — what a power cut or the OOM killer does."""
        if node.process is not None and node.process.poll() is None:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(timeout=20)

    def restart(self, node: Node, ready_seconds: float = 60) -> None:
        start(node, ready_seconds)


def _run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def can_isolate() -> bool:
    return os.geteuid() == 0 and tool("ip") is not None


def tool(name: str) -> str | None:
    """Where a system program is: on PATH, or in the sbin folders a non-login root shell may leave out."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")


def ip() -> str:
    return tool("ip") or "ip"


# --- the database ---------------------------------------------------------------------------------------------


@contextmanager
def fresh_database(server_url: str, *, durable: bool = False) -> Iterator[str]:
    """A migrated database of its own on the server at ``server_url``, dropped afterwards; commits wait for
    their WAL flush only when ``durable`` (a benchmark's figures)."""
    admin_url = normalise_url(server_url)
    name = f"warroom_topology_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        if not durable:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- the network ------------------------------------------------------------------------------------------------


def network(stack: ExitStack, count: int) -> tuple[str, list[str | None], list[str]]:
    """(host address, namespaces, their addresses): a bridge and ``count`` namespaces, removed afterwards."""
    k, bridge = free_bridge()
    prefix = f"10.231.{k}"
    stack.callback(subprocess.run, [ip(), "link", "del", bridge], capture_output=True)
    _run(ip(), "addr", "add", f"{prefix}.1/24", "dev", bridge)
    _run(ip(), "link", "set", bridge, "up")
    namespaces: list[str | None] = []
    addresses = []
    for n in range(count):
        namespace, outside, address = f"wrt{k}n{n}", f"wrt{k}v{n}", f"{prefix}.{10 + n}"
        _run(ip(), "netns", "add", namespace)
        stack.callback(subprocess.run, [ip(), "netns", "del", namespace], capture_output=True)
        _run(ip(), "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        stack.callback(subprocess.run, [ip(), "link", "del", outside], capture_output=True)
        _run(ip(), "link", "set", outside, "master", bridge, "up")
        inside = (ip(), "netns", "exec", namespace, ip())
        _run(*inside, "addr", "add", f"{address}/24", "dev", "eth0")
        _run(*inside, "link", "set", "lo", "up")
        _run(*inside, "link", "set", "eth0", "up")
        _run(*inside, "route", "add", "default", "via", f"{prefix}.1")
        namespaces.append(namespace)
        addresses.append(address)
    return f"{prefix}.1", namespaces, addresses


def free_bridge() -> tuple[int, str]:
    """A bridge of this topology's own: ``wrt<k>br`` for a ``k`` no other topology on this machine uses."""
    for _ in range(20):
        k = random.randrange(100, 250)
        bridge = f"wrt{k}br"
        if subprocess.run([ip(), "link", "add", bridge, "type", "bridge"], capture_output=True).returncode == 0:
            return k, bridge
    raise AssertionError("no free bridge name wrt<100-249>br")


def relay(stack: ExitStack, host_address: str, port: int, log: Path) -> None:
    """PostgreSQL (127.0.0.1:``port``) on ``host_address``:``port`` for the namespaces: socat, or this module's
    Python relay."""
    if tool("socat"):
        command = ["socat", f"TCP-LISTEN:{port},bind={host_address},reuseaddr,fork", f"TCP:127.0.0.1:{port}"]
    else:
        command = [sys.executable, __file__, host_address, str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    stack.callback(stop_process, process)
    wait_until(lambda: _answers(host_address, port), 10, what="the PostgreSQL relay")


def _answers(host: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((host, port), timeout=0.5).close()
        return True
    except OSError:
        return False


# --- the processes ----------------------------------------------------------------------------------------------


def node_env(database_url: str, data_dir: Path, network: str, **settings: str) -> dict[str, str]:
    env = dict(os.environ, WARROOM_DATABASE_URL=database_url, WARROOM_DATA_DIR=str(data_dir),
               WARROOM_SECRET_KEY=SECRET_KEY, WARROOM_SEED_DEMO="false", WARROOM_OUTBOUND_ALLOW=network,
               WARROOM_ENGINE_TICK_SECONDS="0.05", WARROOM_ENGINE_LEASE_SECONDS=str(LEASE_SECONDS))
    env.update({f"WARROOM_{name.upper()}": value for name, value in settings.items()})
    return env


def command(node: Node) -> list[str]:
    inside = [ip(), "netns", "exec", node.namespace] if node.namespace else []
    if node.role == "web":
        return [*inside, sys.executable, "-m", "warroom.cli", "serve", "--host", node.address,
                "--port", str(WEB_PORT)]
    return [*inside, sys.executable, "-m", "warroom.cli", "engine"]


def start(node: Node, ready_seconds: float = 60) -> None:
    """Start ``node``; a web process is returned once its /api/v1/health answers 200."""
    with node.log.open("ab") as out:
        node.process = subprocess.Popen(command(node), env=node.env, stdout=out, stderr=subprocess.STDOUT)
    if node.role == "web" and not wait_until(lambda: _healthy(node), ready_seconds, every=0.1):
        stop_process(node.process)
        raise AssertionError(f"{node.name} did not answer /api/v1/health in {ready_seconds:.0f} s:\n"
                             f"{node.output()}")


def _healthy(node: Node) -> bool:
    if node.process is None or node.process.poll() is not None:
        return False
    try:
        return httpx.get(f"{node.base}/api/v1/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop(node: Node) -> None:
    stop_process(node.process)




def listeners(database_url: str) -> int:
    """How many processes hold their LISTEN connection on this database."""
    engine = sa.create_engine(normalise_url(database_url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        found = conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'warroom-listen'")).scalar_one()
    engine.dispose()
    return int(found)


# --- haproxy ----------------------------------------------------------------------------------------------------


def haproxy_config(port: int, webs: list[Node]) -> str:
    servers = "\n".join(f"    server {node.name} {node.address}:{WEB_PORT} check inter 250ms fall 1 rise 1"
                        for node in webs)
    return f"""global
    maxconn 1024
defaults
    mode http
    option redispatch
    retries 3
    timeout connect 2s
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


def load_balancer(stack: ExitStack, webs: list[Node], folder: Path) -> str:
    port = free_port()
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, webs))
    process = subprocess.Popen([tool("haproxy") or "haproxy", "-db", "-f", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    stack.callback(stop_process, process)
    base = f"http://127.0.0.1:{port}"

    def every_backend_up() -> bool:
        try:  # round robin: as many answers in a row as backends, each 200, once every health check passed
            return all(httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200 for _ in webs)
        except httpx.HTTPError:
            return False

    wait_until(every_backend_up, 30, what="haproxy to reach every web process")
    time.sleep(0.5)  # every server's health check has passed at least once more
    return base


@contextmanager
def topology(database_url: str, folder: Path, *, webs: int = 3, engines: int = 2,
             **settings: str) -> Iterator[Topology]:
    """``webs`` web/API and ``engines`` engine processes on ``database_url`` (a PostgreSQL database on
    127.0.0.1:5432) behind haproxy. ``settings`` are more WARROOM_* values for every process."""
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        count = webs + engines
        isolated = can_isolate()
        if isolated:
            host_address, namespaces, addresses = network(stack, count)
            port = sa.engine.make_url(database_url).port or POSTGRES_PORT
            relay(stack, host_address, port, folder / "relay.log")
            node_url = str(sa.engine.make_url(database_url).set(host=host_address, port=port)
                           .render_as_string(hide_password=False))
            net = f"{host_address.rsplit('.', 1)[0]}.0/24"
        else:
            k = random.randrange(100, 250)
            host_address, namespaces, node_url = "127.0.0.1", [None] * count, database_url
            addresses = [f"127.{k}.0.{10 + n}" for n in range(count)]
            net = "127.0.0.0/8"
        made = Topology(base="", database_url=database_url, host_address=host_address, network=net,
                        isolated=isolated)
        for n in range(count):
            role, index = ("web", n) if n < webs else ("engine", n - webs)
            data = folder / f"{role}{index}"
            data.mkdir(exist_ok=True)
            extra = {"run_engine": "false", "base_url": f"http://{addresses[n]}:{WEB_PORT}"} if role == "web" else {}
            node = Node(role, f"{role}{index}", namespaces[n], addresses[n], data / "output.log",
                        node_env(node_url, data, net, **extra, **settings))
            (made.webs if role == "web" else made.engines).append(node)
        for node in made.webs + made.engines:
            stack.callback(stop, node)
        for node in made.engines + made.webs:
            start(node)
        wait_until(lambda: listeners(database_url) >= count, 30, what="every process to LISTEN")
        made.base = load_balancer(stack, made.webs, folder)
        yield made


# --- the Python relay (when socat is not installed) ----------------------------------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        writer.close()


async def _relay(host: str, port: int) -> None:
    async def connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)

    server = await asyncio.start_server(connect, host, port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_relay(sys.argv[1], int(sys.argv[2])))
