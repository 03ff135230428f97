"""GET /metrics: who may read it, and that each metric moves when the thing it counts happens."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from warroom.core.clock import FakeClock
from warroom.engine.models import Job, JobState
from warroom.notifications.models import ContactKind
from warroom.notifications.planning import NOTIFY_JOB
from warroom.runtime import Runtime

from ..support import live_server
from .conftest import TOKEN, names, value

# Anything else could be in the process registry; these must be.
EXPECTED = {
    "warroom_ingest_events_total", "warroom_alerts_opened_total", "warroom_alert_first_page_seconds_count",
    "warroom_notifications_total", "warroom_engine_queue_due_jobs", "warroom_engine_oldest_due_job_age_seconds",
    "warroom_engine_dead_jobs", "warroom_engine_job_seconds_count", "warroom_engine_tick_seconds_count",
    "warroom_http_request_seconds_count", "warroom_db_pool_checked_out", "warroom_db_pool_size",
    "warroom_engine_heartbeat_age_seconds", "warroom_alerts_open", "warroom_store_up",
}


def _enqueue(runtime: Runtime, key: str, due_in: timedelta, *, state: JobState = JobState.pending) -> None:
    with runtime.database.writing() as db:
        due_at = runtime.clock.now() + due_in
        db.add(Job(kind="test.kind", payload={}, idempotency_key=key, due_at=due_at, created_at=due_at, state=state))


def test_metrics_asks_for_the_bearer_token_when_one_is_set(runtime: Runtime, client: TestClient):
    runtime.settings.metrics_token = TOKEN
    missing = client.get("/metrics")
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, 'Bearer realm="metrics"')
    assert "WARROOM_METRICS_TOKEN" in missing.json()["detail"]
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    good = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("text/plain; version=")


def test_without_a_token_metrics_are_for_this_machine_only(runtime: Runtime, client: TestClient):
    refused = client.get("/metrics")  # the test client calls from "testclient", not a loopback address
    assert refused.status_code == 403
    assert "WARROOM_METRICS_TOKEN" in refused.json()["detail"]
    with live_server(runtime, proxy_headers=False) as live:  # as `warroom serve` runs uvicorn
        answer = httpx.get(f"{live.url}/metrics")
        assert answer.status_code == 200
        # A proxy's forwarded client is not believed unless the proxy is trusted (WARROOM_TRUSTED_PROXIES).
        assert httpx.get(f"{live.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    runtime.settings.trusted_proxies = "127.0.0.1/32"
    with live_server(runtime, proxy_headers=False) as live:  # as `warroom serve` runs uvicorn
        assert httpx.get(f"{live.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert EXPECTED - {"warroom_alert_first_page_seconds_count", "warroom_ingest_events_total",
                       "warroom_notifications_total", "warroom_engine_job_seconds_count",
                       "warroom_alerts_opened_total", "warroom_engine_tick_seconds_count"} <= names(answer.text)


def test_queue_gauges_count_due_pending_and_dead_jobs_and_the_oldest_wait(runtime: Runtime, clock: FakeClock,
                                                                          scrape):
    _enqueue(runtime, "a", timedelta(minutes=-5))
    _enqueue(runtime, "b", timedelta(seconds=-30))
    _enqueue(runtime, "c", timedelta(minutes=10))  # pending, not due yet
    _enqueue(runtime, "d", timedelta(minutes=-60), state=JobState.dead)
    _enqueue(runtime, "e", timedelta(minutes=-90), state=JobState.done)
    text = scrape()
    assert value(text, "warroom_engine_queue_due_jobs") == 2
    assert value(text, "warroom_engine_queue_pending_jobs") == 3
    assert value(text, "warroom_engine_dead_jobs") == 1
    assert value(text, "warroom_engine_oldest_due_job_age_seconds") == 300
    assert value(text, "warroom_store_up") == 1
    assert value(text, "warroom_engine_heartbeat_age_seconds") == float("inf")  # no engine ever ran: alert


def test_http_durations_are_labelled_by_route_template_never_by_raw_path(client: TestClient, scrape):
    before = scrape()
    route = {"method": "GET", "route": "/api/v1/incidents/{ref}", "status": "4xx"}
    client.get("/api/v1/incidents/INC-424242")
    client.get("/no/such/page-with-a-name")
    client.request("BREW", "/no/such/pot")
    after = scrape()
    assert value(after, "warroom_http_request_seconds_count", **route) == \
        value(before, "warroom_http_request_seconds_count", **route) + 1
    assert value(after, "warroom_http_request_seconds_count", method="GET", route="unmatched", status="4xx") > 0
    assert "INC-424242" not in after and "page-with-a-name" not in after
    assert 'method="other",route="unmatched"' in after and "BREW" not in after


def test_ingest_events_count_by_source_and_outcome_and_alerts_opened(client: TestClient, integration_keys,
                                                                       scrape):
    key = integration_keys.make("opsgenie")
    before = scrape()
    headers = {"Authorization": f"GenieKey {key}"}
    assert client.post("/v2/alerts", json={"message": "Checkout fails", "alias": "co"}, headers=headers
                       ).status_code == 202
    assert client.post("/v2/alerts", json={"message": "Checkout fails", "alias": "co"}, headers=headers
                       ).status_code == 202  # a duplicate: one more event, no new alert
    assert client.post("/v2/alerts", json={"alias": "no message"}, headers=headers).status_code == 422
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("warroom_ingest_events_total", source="opsgenie", outcome="accepted") == 2
    assert grew("warroom_ingest_events_total", source="opsgenie", outcome="refused") == 1
    # Answered ahead of the router (api/compat/fast_path.py), yet labelled with its route as every request is.
    assert grew("warroom_http_request_seconds_count", method="POST", route="/v2/alerts", status="2xx") == 2
    assert grew("warroom_alerts_opened_total") == 1
    assert value(after, "warroom_alerts_open") == 1


def test_a_page_counts_its_notification_the_first_page_latency_and_the_engine_jobs(runtime: Runtime,
                                                                                    clock: FakeClock, pager,
                                                                                    scrape):
    erin = pager.person("erin", [(ContactKind.email, "erin@example.test", 0)])
    before = scrape()
    pager.page(erin)
    engine = pager.engine()
    clock.advance(timedelta(seconds=42))
    pager.run(engine)
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("warroom_notifications_total", channel="email", outcome="queued") == 1
    assert grew("warroom_notifications_total", channel="email", outcome="sent") == 1
    assert grew("warroom_alert_first_page_seconds_count") == 1
    # The registry is the process's: the sum carries earlier tests' pages, so the difference is a float's.
    assert grew("warroom_alert_first_page_seconds_sum") == pytest.approx(42)
    assert grew("warroom_engine_job_seconds_count", kind=NOTIFY_JOB) == 1
    assert grew("warroom_engine_jobs_total", kind=NOTIFY_JOB, outcome="done") == 1
    assert grew("warroom_engine_tick_seconds_count") == 3
    # The heartbeat it wrote as it ticked.
    assert value(after, "warroom_engine_heartbeat_age_seconds") == 0
    # A second page of the same alert is not a first page.
    with runtime.database.reading() as db:
        assert db.query(Job).filter(Job.kind == NOTIFY_JOB).count() == 1


def test_only_an_alert_s_first_notification_sent_counts_as_its_first_page(runtime: Runtime, clock: FakeClock,
                                                                            pager, scrape):
    erin = pager.person("erin", [(ContactKind.email, "erin@example.test", 0),
                                 (ContactKind.email, "erin.home@example.test", 0),
                                 (ContactKind.email, "erin.later@example.test", 1)])
    before = scrape()
    pager.page(erin)
    engine = pager.engine()
    clock.advance(timedelta(seconds=10))
    pager.run(engine)  # the two at once: recorded in one transaction
    clock.advance(timedelta(minutes=1))
    pager.run(engine)  # the one a minute later
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("warroom_notifications_total", channel="email", outcome="sent") == 3
    assert grew("warroom_alert_first_page_seconds_count") == 1
    assert grew("warroom_alert_first_page_seconds_sum") == pytest.approx(10)
