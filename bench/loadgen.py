"""An open-loop HTTP/1.1 load generator: requests leave on a fixed schedule, whatever the server does.

Latency is measured from each request's scheduled send time, so a slow server cannot hide queueing
(no coordinated omission). Pure asyncio streams with keep-alive connections, to leave the CPU to the
server under test. Used by the benchmark scripts; not a test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# (method, path, headers, body) for the n-th request.
RequestMaker = Callable[[int], tuple[str, str, dict[str, str], bytes]]


@dataclass
class LoadResult:
    offered_rate: float
    seconds: float
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def achieved_rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


def _encode(host: str, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return status


async def _connection(base: str, queue: asyncio.Queue[tuple[float, bytes] | None], result: LoadResult) -> None:
    parts = urlsplit(base)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    while True:
        item = await queue.get()
        if item is None:
            break
        scheduled, raw = item
        try:
            writer.write(raw)
            await writer.drain()
            status = await _read_response(reader)
            result.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
            result.statuses[status] = result.statuses.get(status, 0) + 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            result.errors += 1
            writer.close()
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.close()


async def _run(base: str, make: RequestMaker, rate: float, seconds: float, connections: int) -> LoadResult:
    host = urlsplit(base).netloc
    result = LoadResult(rate, seconds)
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    workers = [asyncio.create_task(_connection(base, queue, result)) for _ in range(connections)]
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        method, path, headers, body = make(n)
        queue.put_nowait((due, _encode(host, method, path, headers, body)))
        result.sent += 1
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    result.seconds = time.perf_counter() - start
    return result


def run_load(base: str, make: RequestMaker, *, rate: float, seconds: float, connections: int = 64) -> LoadResult:
    return asyncio.run(_run(base, make, rate, seconds, connections))
