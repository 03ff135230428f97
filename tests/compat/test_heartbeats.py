"""Heartbeats: configured and pinged through Opsgenie's Heartbeat API; the engine's manager expires them into
an alert, and the next ping closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from warroom.oncall.alerts.models import AlertStatus, Priority
from warroom.oncall.heartbeats import service as heartbeats

from .conftest import alerts_of, first_steps, stored, team_id


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


@pytest.fixture
def og_key(integration_keys) -> str:
    return integration_keys.make("opsgenie", team="engineering")


def add(client, key: str, name: str = "nightly-backup", **extra: object):
    body = {"name": name, "interval": 10, "intervalUnit": "minutes", "enabled": True, **extra}
    return client.post("/v2/heartbeats", json=body, headers=genie(key))


def tick(runtime) -> None:
    heartbeats.expire_heartbeats(runtime.database, runtime.clock.now())


def test_configure_a_heartbeat_through_the_opsgenie_api(client, runtime, og_key):
    made = add(client, og_key, description="backups", alertMessage="Backups stopped", alertPriority="P2")
    assert made.status_code == 201
    assert made.json()["data"] == {"name": "nightly-backup", "enabled": True, "expired": False}
    got = client.get("/v2/heartbeats/nightly-backup", headers=genie(og_key)).json()["data"]
    assert (got["interval"], got["intervalUnit"], got["alertMessage"], got["alertPriority"]) == (
        10, "minutes", "Backups stopped", "P2")
    assert got["ownerTeam"]["name"] == "engineering"
    patched = client.patch("/v2/heartbeats/nightly-backup", json={"interval": 2, "intervalUnit": "hours"},
                           headers=genie(og_key))
    assert patched.status_code == 200
    listed = client.get("/v2/heartbeats", headers=genie(og_key)).json()["data"]["heartbeats"]
    assert [(h["name"], h["interval"], h["intervalUnit"]) for h in listed] == [("nightly-backup", 2, "hours")]
    disabled = client.post("/v2/heartbeats/nightly-backup/disable", headers=genie(og_key))
    assert disabled.json()["data"]["enabled"] is False
    assert client.post("/v2/heartbeats/nightly-backup/enable", headers=genie(og_key)).json()["data"]["enabled"] is True
    deleted = client.delete("/v2/heartbeats/nightly-backup", headers=genie(og_key))
    assert deleted.status_code == 200
    assert deleted.json()["result"] == "Deleted"
    assert client.get("/v2/heartbeats/nightly-backup", headers=genie(og_key)).status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH"])
def test_ping_answers_pong_with_any_of_opsgenies_methods(client, runtime, og_key, method):
    add(client, og_key)
    response = client.request(method, "/v2/heartbeats/nightly-backup/ping", headers=genie(og_key))
    assert response.status_code == 202
    assert response.json()["result"] == "PONG - Heartbeat received"
    with runtime.database.reading() as db:
        assert heartbeats.get_heartbeat(db=db, name="nightly-backup").last_ping_at == runtime.clock.now()


def test_a_silent_heartbeat_expires_into_one_alert_and_the_next_ping_closes_it(client, runtime, clock, og_key):
    add(client, og_key, alertPriority="P2")
    clock.advance(timedelta(minutes=9))
    client.get("/v2/heartbeats/nightly-backup/ping", headers=genie(og_key))
    clock.advance(timedelta(minutes=9, seconds=59))
    tick(runtime)
    assert alerts_of(runtime) == []
    clock.advance(timedelta(seconds=1))
    tick(runtime)
    tick(runtime)  # idempotent: a second engine tick (or a second engine) raises nothing more
    [alert] = alerts_of(runtime)
    assert (alert.message, alert.alias, alert.priority, alert.status) == (
        "Heartbeat nightly-backup expired", "heartbeat-nightly-backup", Priority.p2, AlertStatus.open)
    assert alert.team_id == team_id(runtime, "engineering")
    assert alert.count == 1
    assert len(first_steps(runtime, alert.id)) == 1
    assert client.get("/v2/heartbeats/nightly-backup", headers=genie(og_key)).json()["data"]["expired"] is True
    clock.advance(timedelta(hours=1))
    tick(runtime)
    assert alerts_of(runtime)[0].count == 1
    client.post("/v2/heartbeats/nightly-backup/ping", headers=genie(og_key))
    assert alerts_of(runtime)[0].status is AlertStatus.closed
    assert client.get("/v2/heartbeats/nightly-backup", headers=genie(og_key)).json()["data"]["expired"] is False
    # Silent again: a new alert (the closed one stays closed).
    clock.advance(timedelta(minutes=10))
    tick(runtime)
    assert [a.status for a in alerts_of(runtime)] == [AlertStatus.closed, AlertStatus.open]


def test_a_heartbeat_never_pinged_expires_one_interval_after_creation(client, runtime, clock, og_key):
    add(client, og_key)
    clock.advance(timedelta(minutes=10))
    tick(runtime)
    assert [a.alias for a in alerts_of(runtime)] == ["heartbeat-nightly-backup"]


def test_a_disabled_heartbeat_does_not_expire_and_enabling_restarts_its_interval(client, runtime, clock, og_key):
    add(client, og_key, enabled=False)
    clock.advance(timedelta(days=2))
    tick(runtime)
    assert alerts_of(runtime) == []
    client.post("/v2/heartbeats/nightly-backup/enable", headers=genie(og_key))
    clock.advance(timedelta(minutes=9))
    tick(runtime)
    assert alerts_of(runtime) == []


def test_the_engine_ticks_the_heartbeat_manager(runtime, clock, og_key, client):
    add(client, og_key)
    clock.advance(timedelta(minutes=11))
    runtime.engine().tick()
    assert [a.alias for a in alerts_of(runtime)] == ["heartbeat-nightly-backup"]


def test_a_heartbeat_key_may_ping_but_not_configure(client, runtime, og_key, integration_keys):
    add(client, og_key)
    ping_only = integration_keys.make("heartbeat")
    assert client.get("/v2/heartbeats/nightly-backup/ping", headers=genie(ping_only)).status_code == 202
    before = stored(runtime)
    config = [("POST", "/v2/heartbeats"), ("GET", "/v2/heartbeats"), ("GET", "/v2/heartbeats/nightly-backup"),
              ("DELETE", "/v2/heartbeats/nightly-backup"), ("POST", "/v2/heartbeats/nightly-backup/disable")]
    for method, path in config:
        response = client.request(method, path, json={"name": "x", "interval": 1, "intervalUnit": "minutes",
                                                      "enabled": True}, headers=genie(ping_only))
        assert response.status_code == 403, (method, path)
    assert stored(runtime) == before


def test_bad_heartbeat_requests_get_opsgenie_errors_and_write_nothing(client, runtime, og_key, integration_keys):
    add(client, og_key)
    pd_key = integration_keys.make("pagerduty")
    before = stored(runtime)
    cases = [
        (add(client, og_key), 409),
        (add(client, og_key, name="other", intervalUnit="weeks"), 422),
        (add(client, og_key, name="other", interval=0), 422),
        (add(client, og_key, name="other", enabled="yes"), 422),
        (client.post("/v2/heartbeats", json={"name": "n"}, headers=genie(og_key)), 422),
        (add(client, og_key, name="other", alertPriority="P0"), 422),
        (add(client, og_key, name="other", ownerTeam={"name": "nobody"}), 422),
        (client.post("/v2/heartbeats", content=b"[", headers=genie(og_key)), 400),
        (client.get("/v2/heartbeats/unknown/ping", headers=genie(og_key)), 404),
        (client.get("/v2/heartbeats/nightly-backup/ping"), 401),
        (client.get("/v2/heartbeats/nightly-backup/ping", headers=genie(pd_key)), 403),
        (client.patch("/v2/heartbeats/unknown", json={"enabled": False}, headers=genie(og_key)), 404),
        (client.patch("/v2/heartbeats/nightly-backup", json={"interval": -1, "intervalUnit": "minutes"},
                      headers=genie(og_key)), 422),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.json()["message"]
        assert response.json()["requestId"]
    assert stored(runtime) == before


def test_switching_an_expired_heartbeat_off_and_on_keeps_its_alert_until_a_ping(client, runtime, clock, og_key):
    add(client, og_key)
    clock.advance(timedelta(minutes=10))
    tick(runtime)
    client.post("/v2/heartbeats/nightly-backup/disable", headers=genie(og_key))
    client.post("/v2/heartbeats/nightly-backup/enable", headers=genie(og_key))
    clock.advance(timedelta(hours=1))
    tick(runtime)
    [alert] = alerts_of(runtime)
    assert (alert.status, alert.count) == (AlertStatus.open, 1)
    client.get("/v2/heartbeats/nightly-backup/ping", headers=genie(og_key))
    assert alerts_of(runtime)[0].status is AlertStatus.closed


def test_a_team_key_may_not_ping_another_teams_heartbeat_and_its_ping_writes_nothing(
        client, runtime, clock, og_key, integration_keys):
    other_key = integration_keys.make("opsgenie", team="payments")
    assert add(client, other_key, name="payments-backup").status_code == 201
    with runtime.database.reading() as db:
        before = heartbeats.get_heartbeat(db=db, name="payments-backup").last_ping_at
    clock.advance(timedelta(minutes=1))
    refused = client.post("/v2/heartbeats/payments-backup/ping", headers=genie(og_key))
    assert refused.status_code == 403 and "another team" in refused.json()["message"]
    with runtime.database.reading() as db:
        assert heartbeats.get_heartbeat(db=db, name="payments-backup").last_ping_at == before
    assert client.post("/v2/heartbeats/payments-backup/ping", headers=genie(other_key)).status_code == 202
    with runtime.database.reading() as db:
        assert heartbeats.get_heartbeat(db=db, name="payments-backup").last_ping_at == clock.now()


def test_a_post_ping_is_answered_ahead_of_the_router_as_the_router_would_and_labelled_with_its_template(
        client, runtime, og_key):
    from warroom.api.app import route_table
    from warroom.api.compat import opsgenie
    from warroom.api.compat.fast_path import IngestFastPath
    from warroom.observability.metrics import REGISTRY

    from .test_opsgenie_close_batch import _first_match

    path = "/v2/heartbeats/nightly-backup/ping"
    scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "query_string": b"", "headers": []}
    first = _first_match(route_table(), scope)
    assert getattr(first, "path", None) == opsgenie.PING_PATH == "/v2/heartbeats/{name}/ping"
    assert getattr(first, "name", None) == "opsgenie_ping_heartbeat_post"
    # ... and the fast path in front of the app answers it instead.
    fast = [m for m in client.app.user_middleware if m.cls is IngestFastPath]
    assert fast and fast[0].kwargs["templates"][opsgenie.PING_PATH] is opsgenie.opsgenie_ping
    add(client, og_key)
    labels = {"method": "POST", "route": opsgenie.PING_PATH, "status": "2xx"}
    before = REGISTRY.get_sample_value("warroom_http_request_seconds_count", labels) or 0.0
    pong = client.post(path, headers=genie(og_key))
    assert pong.status_code == 202 and pong.json()["result"] == "PONG - Heartbeat received"
    assert REGISTRY.get_sample_value("warroom_http_request_seconds_count", labels) == before + 1
    assert client.post("/v2/heartbeats/unknown/ping", headers=genie(og_key)).status_code == 404
    with runtime.database.reading() as db:
        assert heartbeats.get_heartbeat(db=db, name="nightly-backup").last_ping_at is not None
