"""Pooled HTTP clients for every outbound call: TLS set-up and connections are reused, not rebuilt.

``client()`` reaches the endpoints the operator configured (Slack, GitHub, Twilio, the announcement
webhook). ``guarded_client(policy)`` reaches URLs users typed in (webhook contact methods, status page
webhook subscribers): each connection resolves the host itself, checks every address against the
outbound policy and connects to a checked address, so what was checked is what is connected to. TLS
still verifies the certificate for the host name (SNI), and the Host header is the URL's.
"""

from __future__ import annotations

import threading
import typing

import httpcore
import httpx

from warroom.core.outbound import OutboundPolicy, Unresolvable

_lock = threading.Lock()
_client: httpx.Client | None = None
_guarded: dict[OutboundPolicy, httpx.Client] = {}
MAX_GUARDED_CLIENTS = 8  # one per policy in use; a process normally has one
LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)
HEADERS = {"user-agent": "Warroom"}


def client() -> httpx.Client:
    global _client
    with _lock:
        if _client is None or _client.is_closed:
            _client = httpx.Client(timeout=10.0, follow_redirects=False, limits=LIMITS, headers=HEADERS)
        return _client


def guarded_client(policy: OutboundPolicy) -> httpx.Client:
    """A client that connects only to addresses ``policy`` allows (raises AddressRefused otherwise)."""
    with _lock:
        found = _guarded.get(policy)
        if found is None or found.is_closed:
            if len(_guarded) >= MAX_GUARDED_CLIENTS:
                _guarded.pop(next(iter(_guarded))).close()
            # No proxies from the environment: the address checked must be the address connected to.
            found = httpx.Client(timeout=10.0, follow_redirects=False, headers=HEADERS, trust_env=False,
                                 transport=GuardedTransport(policy))
            _guarded[policy] = found
        return found


class GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the policy allows, resolving the host once per connection."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                    ) -> httpcore.NetworkStream:
        try:
            addresses = self.policy.addresses(host, port)
        except Unresolvable as error:
            raise httpcore.ConnectError(error.message) from error
        failure: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return self.inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        assert failure is not None  # addresses() never answers an empty list
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
                            ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("Unix sockets are not an outbound address")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (request mapping, errors, streaming), with connections from GuardedBackend."""

    def __init__(self, policy: OutboundPolicy) -> None:
        super().__init__(limits=LIMITS, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry, network_backend=GuardedBackend(policy))
