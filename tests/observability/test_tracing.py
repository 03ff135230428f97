"""OpenTelemetry traces, optional: a server span per request named by its route template. The SDK is not a
dependency, so these tests drive the middleware with a recording tracer and the API's own (non-recording) one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.observability import tracing
from warroom.observability.http import Observed
from warroom.runtime import Runtime


@dataclass
class Span:
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def update_name(self, name: str) -> None:
        self.name = name

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value


@dataclass
class RecordingTracer:
    spans: list[Span] = field(default_factory=list)

    @contextmanager
    def start_as_current_span(self, name: str, kind: Any = None) -> Iterator[Span]:
        span = Span(name)
        self.spans.append(span)
        yield span


def test_each_request_is_a_span_named_by_its_route_with_status_and_request_id(runtime: Runtime):
    tracer = RecordingTracer()
    app = Observed(create_app(runtime, run_engine=False), tracer=tracer)
    with TestClient(app) as client:
        client.get("/api/v1/incidents/INC-77", headers={"X-Request-Id": "trace-1"})
    [span] = tracer.spans
    assert span.name == "GET /api/v1/incidents/{ref}"  # the template: no incident reference in span names
    assert span.attributes == {"http.response.status_code": 401, "warroom.request_id": "trace-1"}


def test_traces_are_off_by_default_and_without_the_sdk_start_up_says_so(caplog: pytest.LogCaptureFixture):
    assert tracing.tracer(False) is None
    found = tracing.tracer(True)
    assert found is not None  # the API's tracer: spans are made (and dropped without an SDK)
    if not tracing.sdk_installed():
        assert "opentelemetry-sdk" in caplog.text


def test_with_traces_on_requests_are_answered_as_before(runtime: Runtime):
    runtime.settings.otel_traces = True
    with TestClient(create_app(runtime, run_engine=False)) as client:
        answer = client.get("/livez")
    assert answer.status_code == 200 and answer.headers["x-request-id"]
