"""The outermost middleware: a request id on every request and answer, the access log, and the HTTP metrics
(duration by route template, and ingest events by source and outcome)."""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.config import Settings
from warroom.core.proxies import Network, client_address
from warroom.observability import metrics, tracing
from warroom.observability.logging import REQUEST_ID, request_id_for

access_log = logging.getLogger("warroom.access")
HEADER = "x-request-id"
# Set in the scope by what answers a request ahead of the router (api/compat/fast_path.py): the route's template.
ROUTE_TEMPLATE = "warroom.route_template"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: never the raw path, which could be anything a client sends


def ingest_source(method: str, route: str) -> str | None:
    """Which monitoring tool's event this request is, if it is one."""
    if route.startswith("/v2/enqueue") and method == "POST":
        return "pagerduty"
    if route == "/v2/heartbeats/{name}/ping":
        return "heartbeat"
    if method == "POST" and (route == "/v2/alerts" or route.startswith("/v2/alerts/{identifier}/")):
        return "opsgenie"
    if method == "POST" and route == "/api/v1/integrations/alertmanager":
        return "alertmanager"
    return None


def outcome_of(status: int) -> str:
    return "accepted" if status < 400 else "refused" if status < 500 else "failed"


def route_of(scope: Scope) -> str:
    """The matched route's template with the prefix it was included under ("/api/v1/incidents/{ref}")."""
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if isinstance(template, str) and pattern is not None:
        return _prefix(scope["path"], pattern) + template
    answered_ahead = scope.get(ROUTE_TEMPLATE)
    return answered_ahead if isinstance(answered_ahead, str) else UNMATCHED


def _prefix(path: str, pattern: re.Pattern[str]) -> str:
    """An included router's route knows its own path only: the literal prefix before the part it matched."""
    for cut in (i for i, char in enumerate(path) if char == "/"):
        if pattern.match(path[cut:]):
            return path[:cut]
    return ""


class Observed:
    def __init__(self, app: ASGIApp, proxies: Sequence[Network] = (), tracer: Any = None) -> None:
        self.app = app
        self.proxies = list(proxies)
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(_incoming_id(scope["headers"]))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):  # Opsgenie's answers name theirs
                    headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        span = (self.tracer.start_as_current_span(f"{scope['method']} {scope['path']}", kind=_server_kind())
                if self.tracer is not None else nullcontext())
        try:
            with span as current:
                await self.app(scope, receive, answer)
                if current is not None:  # named by its route once routing has found it
                    current.update_name(f"{scope['method']} {route_of(scope)}")
                    current.set_attribute("http.response.status_code", status)
                    current.set_attribute("warroom.request_id", request_id)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope["method"])
        method = method if method in METHODS else "other"  # a client's made-up verb is not a new series
        route = route_of(scope)
        series = _series(method, route, status // 100)
        series.duration.observe(seconds)
        if series.ingested is not None:
            series.ingested.inc()
        if access_log.isEnabledFor(logging.INFO):  # the line's fields cost more than a request's metrics
            access_log.info("%s %s %s %.1fms", method, scope["path"], status, seconds * 1000, extra={
                "method": method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 2), "client": self._client(scope)})

    def _client(self, scope: Scope) -> str:
        peer = scope.get("client")
        address = str(peer[0]) if peer else ""
        forwarded = [value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"]
        return client_address(address, forwarded, self.proxies)


def _incoming_id(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"x-request-id":
            return value.decode("latin-1")
    return None


@dataclass(frozen=True)
class Series:
    """One request kind's metric children: looked up by label values once, not on every request."""

    duration: Any
    ingested: Any  # None: not a monitoring tool's event


@functools.cache
def _series(method: str, route: str, status_class: int) -> Series:
    """Bounded: methods are a fixed set, routes are templates (or "unmatched"), status classes 1-5."""
    source = ingest_source(method, route)
    return Series(metrics.http_request_seconds.labels(method=method, route=route, status=f"{status_class}xx"),
                  metrics.ingest_events.labels(source=source, outcome=outcome_of(status_class * 100))
                  if source is not None else None)


def _server_kind() -> Any:
    from opentelemetry.trace import SpanKind

    return SpanKind.SERVER


def observe(app: Starlette, settings: Settings) -> None:
    """Install the middleware (outermost: add it last) and the counters of what the domains commit."""
    import warroom.observability.events  # noqa: F401  (registers the session listeners)

    app.add_middleware(Observed, proxies=settings.trusted_proxy_networks(),
                       tracer=tracing.tracer(settings.otel_traces))
