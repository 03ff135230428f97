"""Webhooks to URLs users typed in go over kept-alive connections to checked addresses (integrations/posting.py).

The address checks themselves (loopback refused, DNS rebinding, TLS for the host's name) are exercised through
the webhook sender in tests/notifications/test_outbound.py; here, what keeping connections adds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from warroom.core.delivery import DeliveryError
from warroom.core.outbound import OutboundPolicy
from warroom.integrations import posting
from warroom.integrations.webhooks import NOT_DELIVERED, WebhookSender

LOOPBACK = OutboundPolicy.parse("127.0.0.0/8")
AT = datetime(2026, 12, 7, tzinfo=UTC)


@dataclass
class Server:
    url: str
    ids: list[str] = field(default_factory=list)
    connections: set[int] = field(default_factory=set)  # the client ports requests came from
    close_after_answer: bool = False  # closes each connection after its answer, without saying so
    delay: float = 0.0
    body: bytes = b"{}"


@contextmanager
def server() -> Iterator[Server]:
    state = Server(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            time.sleep(state.delay)
            state.ids.append(self.headers["webhook-id"])
            state.connections.add(self.client_address[1])
            self.send_response(200)
            self.send_header("content-length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)
            self.close_connection = state.close_after_answer

        def log_message(self, *args: object) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def send(url: str, message_id: str, policy: OutboundPolicy = LOOPBACK, timeout: float = 10.0) -> None:
    WebhookSender(url, "a-secret", policy=policy, timeout=timeout).send(message_id=message_id, payload={"n": 1},
                                                                        at=AT)


@pytest.fixture
def policy() -> Iterator[OutboundPolicy]:
    """A policy of this test's own, so no connection kept by another test is reused."""
    own = OutboundPolicy.parse(f"127.0.0.0/8,10.{time.monotonic_ns() % 250}.0.0/16")
    yield own
    posting.guarded_poster(own).close()


def test_one_connection_carries_page_after_page(policy):
    with server() as hook:
        for n in range(5):
            send(hook.url, f"m-{n}", policy)
    assert hook.ids == [f"m-{n}" for n in range(5)]
    assert len(hook.connections) == 1


def test_a_kept_connection_the_receiver_closed_is_replaced_and_the_page_arrives_once(policy):
    with server() as hook:
        hook.close_after_answer = True
        for n in range(3):
            send(hook.url, f"m-{n}", policy)
    assert hook.ids == ["m-0", "m-1", "m-2"]
    assert len(hook.connections) == 3


def test_a_connection_idle_past_its_keep_alive_is_not_reused(policy, monkeypatch):
    monkeypatch.setattr(posting, "KEEP_ALIVE_SECONDS", 0.0)
    with server() as hook:
        send(hook.url, "m-1", policy)
        send(hook.url, "m-2", policy)
    assert len(hook.connections) == 2


def test_a_long_answer_is_not_read_and_its_connection_not_kept(policy):
    with server() as hook:
        hook.body = b"x" * (posting.MAX_BODY_READ + 10)
        send(hook.url, "m-1", policy)
        send(hook.url, "m-2", policy)
    assert hook.ids == ["m-1", "m-2"] and len(hook.connections) == 2


def test_a_receiver_too_slow_is_a_timeout_retried_later_and_its_detail_stays_with_admins(policy):
    with server() as hook:
        hook.delay = 0.5
        with pytest.raises(DeliveryError) as failed:
            send(hook.url, "m-1", policy, timeout=0.1)
    assert str(failed.value).startswith("ReadTimeout: ")
    assert not failed.value.permanent and failed.value.public == NOT_DELIVERED


def test_threads_sending_at_once_each_get_a_connection_of_their_own(policy):
    with server() as hook:
        hook.delay = 0.05
        threads = [threading.Thread(target=send, args=(hook.url, f"m-{n}", policy)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for n in range(8, 16):  # then the kept ones carry the next pages
            send(hook.url, f"m-{n}", policy)
    assert sorted(hook.ids) == sorted(f"m-{n}" for n in range(16))
    assert len(hook.connections) <= 8
