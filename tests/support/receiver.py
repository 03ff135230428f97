"""A real HTTP server on 127.0.0.1 that records what it receives and answers as told (tests.support's server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from .http import Reply, Request, http_server

Received = Request  # what arrived: method, path, headers (lower-case names), body; .json() reads it


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Statuses to answer with, in order; then 200. A (status, retry_after) pair sets Retry-After.
    script: list[int | tuple[int, str]] = field(default_factory=list)

    def respond(self, request: Request) -> Reply:
        answer = self.script.pop(0) if self.script else 200
        status, retry_after = answer if isinstance(answer, tuple) else (answer, None)
        return Reply(status, headers={} if retry_after is None else {"Retry-After": retry_after})


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver(url="")
    with http_server(receiver.respond, path="/hook") as server:
        receiver.url, receiver.received = server.url, server.requests
        yield receiver
