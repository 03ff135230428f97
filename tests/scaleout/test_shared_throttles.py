"""Two web processes on one database are together as strict as one: sign-in, the report form, subscriptions.

Each "process" is its own Runtime and app on the same database (nothing in memory is shared between them but
the code), and a client that goes to each in turn, as a load balancer would send it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import Factory
from tests.reports.conftest import PublicForm
from warroom.accounts import throttle
from warroom.api.app import create_app
from warroom.core.clock import FakeClock
from warroom.db.engine import Database
from warroom.reports import guard
from warroom.runtime import Runtime
from warroom.web.statuspage import SUBSCRIBE_LIMIT


@pytest.fixture
def two_apps(runtime: Runtime, clock: FakeClock) -> Iterator[tuple[TestClient, TestClient]]:
    other = Runtime(runtime.settings, Database(runtime.database.url, engine=runtime.database.engine), clock)
    with TestClient(create_app(runtime, run_engine=False), follow_redirects=False) as one, \
            TestClient(create_app(other, run_engine=False), follow_redirects=False) as two:
        yield one, two


def wrong_password(client: TestClient, login: str) -> int:
    client.get("/login")
    return client.post("/login", data={"login": login, "password": "not-the-password",
                                       "login_token": client.cookies.get("warroom_login") or "",
                                       "next": "/"}).status_code


def test_a_guesser_sent_to_two_processes_in_turn_gets_the_free_tries_once(
        factory: Factory, two_apps: tuple[TestClient, TestClient]) -> None:
    factory.user("bob")
    one, two = two_apps
    tries = [wrong_password((one, two)[n % 2], "bob") for n in range(throttle.FREE_PER_NAME_AND_ADDRESS)]
    assert tries == [401] * throttle.FREE_PER_NAME_AND_ADDRESS
    assert wrong_password(one, "bob") == 429
    assert wrong_password(two, "bob") == 429


def test_the_report_form_limit_counts_reports_sent_through_either_process(
        clock: FakeClock, two_apps: tuple[TestClient, TestClient]) -> None:
    forms = [PublicForm(client, clock) for client in two_apps]
    for n in range(guard.RATE_LIMIT):
        answer = forms[n % 2].send()
        assert answer.status_code == 200, answer.text[:300]
    refused = forms[1].send()
    assert refused.status_code == 429
    assert "several reports in a short time" in refused.text


def test_a_report_form_sent_through_one_process_cannot_be_sent_again_through_the_other(
        clock: FakeClock, two_apps: tuple[TestClient, TestClient]) -> None:
    one, two = (PublicForm(client, clock) for client in two_apps)
    token = one.open()
    assert one.send(token=token).status_code == 200
    again = two.send(token=token)
    assert again.status_code == 422
    assert "This form was already sent" in again.text


def test_subscriptions_asked_through_either_process_share_one_limit(
        two_apps: tuple[TestClient, TestClient]) -> None:
    for n in range(SUBSCRIBE_LIMIT):
        answer = two_apps[n % 2].post("/status/nowhere/subscribe", data={"email": f"fan{n}@example.org"})
        assert answer.status_code != 429
    refused = two_apps[0].post("/status/nowhere/subscribe", data={"email": "one-more@example.org"})
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_old_rows_are_pruned_and_live_ones_kept(runtime: Runtime, clock: FakeClock) -> None:
    shared = runtime.throttles
    now = clock.now()
    shared.count_failure(["name:old"], now - timedelta(hours=2), throttle.FORGET_AFTER)
    shared.count_failure(["name:new"], now, throttle.FORGET_AFTER)
    assert shared.hit("report:old", now - guard.RATE_WINDOW, limit=5, window=guard.RATE_WINDOW) == 0
    assert shared.hit("report:new", now, limit=5, window=guard.RATE_WINDOW) == 0
    assert shared.use_once("old-nonce", now - guard.MAX_AGE, now)
    assert shared.use_once("new-nonce", now, now + guard.MAX_AGE)
    assert shared.prune(now) == 3
    assert set(shared.counts(["name:old", "name:new"], now)) == {"name:new"}
    assert not shared.use_once("new-nonce", now, now + guard.MAX_AGE)
    assert shared.use_once("old-nonce", now, now + guard.MAX_AGE)  # its time was over: gone


def test_hits_at_the_same_moment_through_two_processes_let_exactly_the_limit_through(
        runtime: Runtime, clock: FakeClock) -> None:
    other = Runtime(runtime.settings, Database(runtime.database.url, engine=runtime.database.engine), clock)
    stores = [runtime.throttles, other.throttles]
    now = clock.now()
    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(lambda n: stores[n % 2].hit("report:203.0.113.9", now, limit=guard.RATE_LIMIT,
                                                           window=guard.RATE_WINDOW), range(24)))
    assert waits.count(0) == guard.RATE_LIMIT
