"""Warroom's own dead-man's switch: the engine pings WARROOM_SELF_HEARTBEAT_URL while it ticks, through the
outbound allow-list, at most once per WARROOM_SELF_HEARTBEAT_SECONDS."""

from __future__ import annotations

from datetime import timedelta

from warroom.core.clock import FakeClock
from warroom.engine.runner import Engine
from warroom.observability import metrics
from warroom.runtime import Runtime

from ..support import Reply, http_server, live_server, wait_until


def _beat(engine: Engine, clock: FakeClock, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
    engine.tick()


def _sent(outcome: str) -> float:
    return metrics.self_heartbeat_pings.labels(outcome=outcome)._value.get()


def test_the_engine_pings_while_it_ticks_and_once_per_interval(runtime: Runtime, clock: FakeClock):
    with http_server(lambda request: Reply(202, {"result": "PONG - Heartbeat received"}),
                     path="/v2/heartbeats/warroom-prod/ping") as receiver:
        runtime.settings.self_heartbeat_url = receiver.url
        runtime.settings.self_heartbeat_authorization = "GenieKey 6f1c-key"
        runtime.settings.self_heartbeat_seconds = 60
        engine = runtime.engine()
        _beat(engine, clock, 0)
        wait_until(lambda: len(receiver.requests) == 1, 5, what="the first ping")
        _beat(engine, clock, 30)  # within the interval: no ping
        _beat(engine, clock, 31)  # 61 s after the first
        wait_until(lambda: len(receiver.requests) == 2, 5, what="the second ping")
        engine.close()
    first = receiver.requests[0]
    assert (first.method, first.path, first.headers["authorization"]) == (
        "GET", "/v2/heartbeats/warroom-prod/ping", "GenieKey 6f1c-key")
    assert len(receiver.requests) == 2


def test_a_ping_to_an_address_the_allow_list_refuses_is_not_sent_and_is_counted_failed(runtime: Runtime,
                                                                                      clock: FakeClock):
    runtime.settings.outbound_allow = ""  # loopback is not allowed by default
    with http_server(lambda request: Reply(200)) as receiver:
        runtime.settings.self_heartbeat_url = receiver.url
        failed = _sent("failed")
        engine = runtime.engine()
        _beat(engine, clock, 0)
        wait_until(lambda: _sent("failed") == failed + 1, 5, what="the refused ping to be counted")
        engine.close()
    assert receiver.requests == []


def test_no_url_no_ping_and_an_answer_of_500_is_a_failure(runtime: Runtime, clock: FakeClock):
    engine = runtime.engine()
    _beat(engine, clock, 0)  # nothing configured: nothing happens (and nothing fails)
    engine.close()
    with http_server(lambda request: Reply(500)) as receiver:
        runtime.settings.self_heartbeat_url = receiver.url
        failed = _sent("failed")
        engine = runtime.engine()
        _beat(engine, clock, 0)
        wait_until(lambda: _sent("failed") == failed + 1, 5, what="the failed ping to be counted")
        engine.close()
    assert len(receiver.requests) == 1


def test_another_warroom_s_opsgenie_heartbeat_takes_the_ping(runtime: Runtime, clock: FakeClock, client,
                                                             integration_keys):
    key = integration_keys.make("opsgenie")
    headers = {"Authorization": f"GenieKey {key}"}
    made = client.post("/v2/heartbeats", headers=headers, json={
        "name": "warroom-prod", "interval": 3, "intervalUnit": "minutes", "enabled": True})
    assert made.status_code == 201, made.text
    assert "lastPingTime" not in client.get("/v2/heartbeats/warroom-prod", headers=headers).json()["data"]
    with live_server(runtime, proxy_headers=False) as watcher:  # the watching Warroom (here, the same store)
        runtime.settings.self_heartbeat_url = f"{watcher.url}/v2/heartbeats/warroom-prod/ping"
        runtime.settings.self_heartbeat_authorization = f"GenieKey {key}"
        sent = _sent("sent")
        engine = runtime.engine()
        _beat(engine, clock, 0)
        wait_until(lambda: _sent("sent") == sent + 1, 5, what="the ping to be answered 202")
        engine.close()
    beat = client.get("/v2/heartbeats/warroom-prod", headers=headers).json()["data"]
    assert beat["lastPingTime"].startswith(clock.now().strftime("%Y-%m-%dT%H:%M")) and beat["expired"] is False
