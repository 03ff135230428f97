"""PagerDuty Events API v2 at /v2/enqueue: the documented answers, dedup per routing key, bad input refused whole."""

from __future__ import annotations

import json

import pytest

from warroom.oncall.alerts.models import AlertStatus, Priority

from .conftest import alerts_of, first_steps, stored, team_id


def trigger(routing_key: str, **extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "routing_key": routing_key, "event_action": "trigger",
        "payload": {"summary": "DISK at 99% on prod-datapipe03", "source": "prod-datapipe03.example.com",
                    "severity": "critical", "component": "mysql", "group": "prod-datapipe", "class": "disk",
                    "custom_details": {"free space": "1%", "load avg": 0.75}},
    }
    event.update(extra)
    return event


def test_a_trigger_opens_an_alert_for_the_keys_team_and_answers_202_after_commit(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty", team="engineering")
    response = client.post("/v2/enqueue", json=trigger(key, dedup_key="srv01/mysql",
                                                       links=[{"href": "https://grafana.example/d/1", "text": "dash"}]))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed", "dedup_key": "srv01/mysql"}
    [alert] = alerts_of(runtime)
    assert (alert.alias, alert.message, alert.priority, alert.source, alert.entity) == (
        "srv01/mysql", "DISK at 99% on prod-datapipe03", Priority.p1, "prod-datapipe03.example.com", "mysql")
    assert alert.team_id == team_id(runtime, "engineering")
    assert alert.dedup_scope == f"pd:{alert.integration_key_id}"
    assert alert.details["custom_details"] == {"free space": "1%", "load avg": 0.75}
    assert alert.details["links"] == [{"href": "https://grafana.example/d/1", "text": "dash"}]
    assert set(alert.tags) == {"severity:critical", "component:mysql", "group:prod-datapipe", "class:disk"}
    assert len(first_steps(runtime, alert.id)) == 1


def test_a_trigger_without_dedup_key_gets_one_generated_and_returned(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    first = client.post("/v2/enqueue", json=trigger(key)).json()["dedup_key"]
    second = client.post("/v2/enqueue", json=trigger(key)).json()["dedup_key"]
    assert first != second
    assert len(first) == 32
    assert sorted(a.alias for a in alerts_of(runtime)) == sorted([first, second])


@pytest.mark.parametrize(("severity", "priority"), [("critical", Priority.p1), ("error", Priority.p2),
                                                     ("warning", Priority.p3), ("info", Priority.p4)])
def test_severity_maps_to_priority(client, runtime, integration_keys, severity, priority):
    key = integration_keys.make("pagerduty")
    event = trigger(key)
    event["payload"]["severity"] = severity  # type: ignore[index]
    assert client.post("/v2/enqueue", json=event).status_code == 202
    assert alerts_of(runtime)[0].priority is priority


def test_the_same_dedup_key_counts_on_one_alert_and_pages_once(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    for _ in range(3):
        assert client.post("/v2/enqueue", json=trigger(key, dedup_key="k1")).status_code == 202
    [alert] = alerts_of(runtime)
    assert alert.count == 3
    assert len(first_steps(runtime)) == 1


def test_dedup_keys_are_unique_per_routing_key(client, runtime, integration_keys):
    one, two = integration_keys.make("pagerduty", name="a"), integration_keys.make("pagerduty", name="b")
    client.post("/v2/enqueue", json=trigger(one, dedup_key="same"))
    client.post("/v2/enqueue", json=trigger(two, dedup_key="same"))
    assert [a.count for a in alerts_of(runtime)] == [1, 1]


def test_acknowledge_then_resolve_then_a_new_trigger_opens_a_new_alert(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    client.post("/v2/enqueue", json=trigger(key, dedup_key="k"))
    ack = client.post("/v2/enqueue", json={"routing_key": key, "event_action": "acknowledge", "dedup_key": "k"})
    assert ack.status_code == 202
    assert ack.json()["dedup_key"] == "k"
    assert alerts_of(runtime)[0].status is AlertStatus.acknowledged
    # Alertmanager sends a payload with its resolve events; it is accepted and not needed.
    resolve = client.post("/v2/enqueue", json={**trigger(key, dedup_key="k"), "event_action": "resolve"})
    assert resolve.status_code == 202
    assert alerts_of(runtime)[0].status is AlertStatus.closed
    client.post("/v2/enqueue", json=trigger(key, dedup_key="k"))
    assert [a.status for a in alerts_of(runtime)] == [AlertStatus.closed, AlertStatus.open]


def test_acknowledging_or_resolving_an_unknown_dedup_key_is_accepted_and_changes_nothing(
        client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    before = stored(runtime)
    for action in ("acknowledge", "resolve"):
        response = client.post("/v2/enqueue", json={"routing_key": key, "event_action": action, "dedup_key": "nope"})
        assert response.status_code == 202
    assert stored(runtime) == before


def test_the_url_with_a_trailing_slash_works_too(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    assert client.post("/v2/enqueue/", json=trigger(key)).status_code == 202
    assert len(alerts_of(runtime)) == 1


def invalid(response, *errors: str, status: str = "invalid event") -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == status
    assert body["message"]
    for error in errors:
        assert any(error in e for e in body["errors"]), body["errors"]


def test_bad_events_get_400_listing_every_problem_and_write_nothing(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    other = integration_keys.make("opsgenie")
    before = stored(runtime)
    invalid(client.post("/v2/enqueue", content=b"{nope", headers={"content-type": "application/json"}),
            "JSON parse error", status="Unrecognized object")
    invalid(client.post("/v2/enqueue", json=["a list"]), status="Unrecognized object")
    invalid(client.post("/v2/enqueue", json={"event_action": "trigger"}), "'routing_key' is missing",
            "'payload' is missing")
    invalid(client.post("/v2/enqueue", json={"routing_key": key, "event_action": "explode"}),
            "'event_action' is invalid")
    invalid(client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger",
                                             "payload": {"summary": "", "severity": "bad"}}),
            "'payload.summary' is missing", "'payload.source' is missing", "'payload.severity' is invalid")
    invalid(client.post("/v2/enqueue", json=trigger(key, dedup_key="x" * 256)), "'dedup_key' is longer")
    long_summary = trigger(key)
    long_summary["payload"]["summary"] = "s" * 1025  # type: ignore[index]
    invalid(client.post("/v2/enqueue", json=long_summary), "'payload.summary' is longer than 1024")
    invalid(client.post("/v2/enqueue", json={"routing_key": key, "event_action": "resolve"}),
            "'dedup_key' is missing")
    invalid(client.post("/v2/enqueue", json=trigger(key, links=[{"text": "no href"}])), "'links'")
    invalid(client.post("/v2/enqueue", json=trigger("0" * 32)), "Invalid routing key")
    invalid(client.post("/v2/enqueue", json=trigger(other)), "Invalid routing key: this is a Warroom opsgenie")
    assert stored(runtime) == before


def test_a_revoked_key_is_an_invalid_routing_key(client, runtime, integration_keys, factory):
    from warroom.oncall.keys import service as keys

    key = integration_keys.make("pagerduty")
    with runtime.database.writing() as db:
        found = keys.authenticate_key(db=db, secret=key)
        assert found is not None
        keys.revoke_key(db=db, actor=factory.system, key_id=found.id)
    invalid(client.post("/v2/enqueue", json=trigger(key)), "Invalid routing key")
    assert alerts_of(runtime) == []


def test_events_over_512_kb_are_refused_with_413_and_write_nothing(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty")
    before = stored(runtime)
    event = trigger(key)
    event["payload"]["custom_details"] = {"pad": ""}  # type: ignore[index]
    padding = 512 * 1024 - len(json.dumps(event)) + 1
    event["payload"]["custom_details"] = {"pad": "x" * padding}  # type: ignore[index]
    body = json.dumps(event).encode()
    assert len(body) > 512 * 1024
    response = client.post("/v2/enqueue", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "512 KB" in response.json()["errors"][0]
    assert stored(runtime) == before
    event["payload"]["custom_details"] = {"pad": "x" * (padding - 200)}  # type: ignore[index]
    assert client.post("/v2/enqueue", json=event).status_code == 202
