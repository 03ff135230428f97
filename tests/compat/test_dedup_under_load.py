"""10,000 identical events for one dedup key, sent at once over real HTTP: one alert counting 10,000, one page."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait

import httpx

from .conftest import alerts_of, first_steps

EVENTS = 10_000
SENDERS = 32
# A bound on the whole run, far above what it takes here, so a hang fails instead of stalling the suite.
DEADLINE_SECONDS = 420


def send_share(base_url: str, body: dict[str, object], count: int, start: threading.Barrier) -> list[int]:
    statuses = []
    with httpx.Client(base_url=base_url, timeout=60) as http:
        start.wait(timeout=60)
        for _ in range(count):
            statuses.append(http.post("/v2/enqueue", json=body).status_code)
    return statuses


def test_ten_thousand_concurrent_events_make_one_alert_and_one_escalation(runtime, integration_keys, live_warroom):
    key = integration_keys.make("pagerduty", team="engineering")
    body = {"routing_key": key, "event_action": "trigger", "dedup_key": "checkout-5xx",
            "payload": {"summary": "Checkout 5xx above 2%", "source": "lb-1", "severity": "critical"}}
    start = threading.Barrier(SENDERS)
    shares = [EVENTS // SENDERS + (1 if n < EVENTS % SENDERS else 0) for n in range(SENDERS)]
    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        futures = [pool.submit(send_share, live_warroom.base_url, body, share, start) for share in shares]
        done, pending = wait(futures, timeout=DEADLINE_SECONDS)
        assert not pending, f"{len(pending)} senders still running after {DEADLINE_SECONDS}s"
    statuses = [status for future in done for status in future.result()]
    assert len(statuses) == EVENTS
    assert set(statuses) == {202}
    [alert] = alerts_of(runtime)
    assert alert.alias == "checkout-5xx"
    assert alert.count == EVENTS
    assert len(first_steps(runtime)) == 1
