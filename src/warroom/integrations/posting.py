"""POSTs to URLs users typed in (webhook contact methods, status page subscribers), on kept-alive connections.

The engine sends a webhook page per alert; through httpx each POST cost about a millisecond of Python before and
after the network (docs/benchmarks.md, "Issue 16 — routing answers kept"), a tenth of an alert's whole cost.
This is the same request on the standard library's ``http.client``, with what httpx's guarded client gave:

- every new connection resolves the host through the outbound policy and connects to a checked address, so what
  was checked is what is connected to (no second lookup between the check and the connection);
- TLS verifies the certificate for the URL's host name (SNI), with httpx's trust store (``SSL_CERT_FILE`` too);
- connections are kept for ``KEEP_ALIVE_SECONDS`` and reused; a kept connection the server closed meanwhile is
  replaced once, before any answer was read (receivers deduplicate on the webhook id, so a resend is safe);
- no proxy from the environment, no redirects followed, and the answer's body is read and dropped.

Errors carry httpx's names (ConnectError, ReadTimeout, RemoteProtocolError), so the delivery records and the
engine's failed jobs read as before.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from warroom.core.outbound import DEFAULT_PORTS, OutboundPolicy, Unresolvable

KEEP_ALIVE_SECONDS = 5.0
MAX_IDLE_PER_ORIGIN = 20
MAX_BODY_READ = 64 * 1024  # a longer answer is not read: its connection is closed instead


class PostFailed(Exception):
    """The request did not get an answer; ``kind`` names it as httpx would (ConnectError, ReadTimeout, …)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    retry_after: str | None


Origin = tuple[str, str, int]  # scheme, host, port


class GuardedPoster:
    """Connections to addresses ``policy`` allows, kept per origin; safe to share between threads."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._idle: dict[Origin, list[tuple[float, http.client.HTTPConnection]]] = {}
        self._tls: ssl.SSLContext | None = None

    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
        origin, target = _split(url)
        connection, kept = self._connection(origin, timeout)
        try:
            return self._exchange(origin, connection, target, body, headers)
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine) as error:
            if not kept:
                raise _failed(error) from error
        # The kept connection had been closed by the server: once more, on a new one.
        connection, _ = self._connection(origin, timeout, fresh=True)
        try:
            return self._exchange(origin, connection, target, body, headers)
        except (OSError, http.client.HTTPException) as error:
            raise _failed(error) from error

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for _, connection in connections:
                connection.close()

    def _exchange(self, origin: Origin, connection: http.client.HTTPConnection, target: str, body: bytes,
                  headers: dict[str, str]) -> Answer:
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.reason, response.getheader("retry-after"))
            drained = _drain(response)
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
            connection.close()
            raise
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise _failed(error) from error
        if drained and not response.will_close:
            self._keep(origin, connection)
        else:
            connection.close()
        return answer

    def _connection(self, origin: Origin, timeout: float, *, fresh: bool = False,
                    ) -> tuple[http.client.HTTPConnection, bool]:
        if not fresh:
            kept = self._take(origin)
            if kept is not None:
                kept.timeout = timeout
                if kept.sock is not None:
                    kept.sock.settimeout(timeout)
                return kept, True
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            connection = _GuardedHTTPS(self.policy, host, port, timeout=timeout, context=self._tls_context())
        else:
            connection = _GuardedHTTP(self.policy, host, port, timeout=timeout)
        try:
            connection.connect()
        except Unresolvable as error:
            raise PostFailed("ConnectError", error.message) from error
        except TimeoutError as error:
            connection.close()
            raise PostFailed("ConnectTimeout", str(error) or "timed out") from error
        except OSError as error:
            connection.close()
            raise PostFailed("ConnectError", str(error)) from error
        return connection, False

    def _take(self, origin: Origin) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        with self._lock:
            idle = self._idle.get(origin, [])
            while idle:
                since, connection = idle.pop()
                if now - since < KEEP_ALIVE_SECONDS:
                    return connection
                connection.close()
        return None

    def _keep(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                idle.append((time.monotonic(), connection))
                return
        connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()  # httpx's trust store, as before: certifi, or SSL_CERT_FILE
        return self._tls


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, policy: OutboundPolicy, host: str, port: int, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.policy = policy

    def connect(self) -> None:
        self.sock = _connect_checked(self.policy, self.host, self.port, self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, policy: OutboundPolicy, host: str, port: int, *, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.policy = policy
        self._tls_context = context

    def connect(self) -> None:
        raw = _connect_checked(self.policy, self.host, self.port, self.timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock = self._tls_context.wrap_socket(raw, server_hostname=self.host.strip("[]"))
        except BaseException:
            raw.close()
            raise


def _connect_checked(policy: OutboundPolicy, host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first address of ``host`` that answers, every address checked by ``policy``
    (AddressRefused or Unresolvable otherwise)."""
    failure: OSError | None = None
    for address in policy.addresses(host, port):
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as error:
            failure = error
    assert failure is not None  # addresses() never answers an empty list
    raise failure


def _drain(response: http.client.HTTPResponse) -> bool:
    """Read and drop the answer's body; False when it was too long to read (the connection is not kept)."""
    length = response.length
    if length is not None and length > MAX_BODY_READ:
        return False
    response.read(MAX_BODY_READ + 1)
    return response.isclosed()


def _split(url: str) -> tuple[Origin, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise PostFailed("UnsupportedProtocol", f"'{url}' is not an http:// or https:// URL")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as error:
        raise PostFailed("InvalidURL", f"'{url}' has an invalid port") from error
    host = parts.hostname
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (scheme, f"[{host}]" if ":" in host else host, port), target


def _failed(error: BaseException) -> PostFailed:
    if isinstance(error, PostFailed):
        return error
    if isinstance(error, TimeoutError):
        return PostFailed("ReadTimeout", str(error) or "timed out")
    if isinstance(error, http.client.HTTPException):
        return PostFailed("RemoteProtocolError", str(error) or type(error).__name__)
    return PostFailed("ConnectError", str(error))


_posters: dict[OutboundPolicy, GuardedPoster] = {}
_posters_lock = threading.Lock()
MAX_POSTERS = 8  # one per policy in use; a process normally has one


def guarded_poster(policy: OutboundPolicy) -> GuardedPoster:
    with _posters_lock:
        found = _posters.get(policy)
        if found is None:
            if len(_posters) >= MAX_POSTERS:
                _posters.pop(next(iter(_posters))).close()
            found = _posters[policy] = GuardedPoster(policy)
        return found
