"""A duplicate storm: 10,000 PagerDuty triggers with one dedup key, over 32 connections, against a real
`warroom serve` with its engine running. One alert, counted 10,000 times, and one page.
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from bench.loadgen import run_load

from warroom.oncall.alerts.models import Alert

from .support import (
    fault_table,
    notifications_of,
    pagerduty_key,
    start_serve,
    stop,
    trigger,
    wait_until,
    webhook_pages,
    webhook_receiver,
)

pytestmark = pytest.mark.fault

EVENTS = 10_000
CONNECTIONS = 32
QUIET_SECONDS = 2.0  # after the page, long enough for a second one to show up if the engine were to send it


def test_10000_duplicates_over_32_connections_make_one_alert_counted_10000_and_one_page(
        runtime, factory, database_url, tmp_path):
    bob = factory.user("bob", teams=("payments",))
    with webhook_receiver() as receiver:
        webhook_pages(runtime, bob, receiver.url)
        key = pagerduty_key(runtime, "payments")
        body = json.dumps(trigger(key, "checkout-5xx")).encode()
        served = start_serve(database_url, tmp_path / "data")
        started = time.monotonic()
        try:
            load = run_load(served.base, lambda n: ("POST", "/v2/enqueue", {"Content-Type": "application/json"},
                                                    body), rate=2500, seconds=EVENTS / 2500, connections=CONNECTIONS)
            assert wait_until(lambda: len(receiver.ids) >= 1, 20), "the alert never paged"
            time.sleep(QUIET_SECONDS)
        finally:
            stop(served.process)
        seconds = time.monotonic() - started
    pages = notifications_of(runtime)
    with runtime.database.reading() as db:
        alerts = list(db.execute(sa.select(Alert.alias, Alert.count)))
    fault_table("duplicate_storm", sent=load.sent, answered_2xx=load.statuses.get(202, 0),
                stored=sum(count for _, count in alerts), alerts=len(alerts), delivered=len(receiver.distinct()),
                duplicates=len(receiver.ids) - len(receiver.distinct()), s503=load.statuses.get(503, 0),
                errors=load.errors, seconds=f"{seconds:.1f}", answered_per_s=f"{load.achieved_rate:.0f}")
    assert load.sent == EVENTS
    assert load.statuses == {202: EVENTS} and load.errors == 0, (load.statuses, load.errors, served.output())
    assert alerts == [("checkout-5xx", EVENTS)]
    assert len(pages) == 1 and pages[0].user_id == bob.id
    assert receiver.ids == [pages[0].idempotency_key]
