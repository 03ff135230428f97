"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) pointed at Warroom with only the URLs
changed: its opsgenie_configs, pagerduty_configs and webhook_configs receivers open and then close one
Warroom alert each, and change nothing else; a group that grows and partly resolves stays one alert per
receiver, the webhook's following the group, with an opsgenie responder Warroom has and one it does not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from warroom.oncall.alerts.models import AlertStatus
from warroom.oncall.keys.models import KeyKind

from ..support.alertmanager import alertmanager_process
from .conftest import alerts_of, stored, team_id, wait_until

RECEIVERS = ("opsgenie", "pagerduty", "webhook")
# Tables an alert opening and closing may touch: the alert, its timeline and request log, its escalation
# job, and the audit entry of the close.
ALERT_TABLES = {"alerts", "alert_events", "alert_requests", "jobs", "audit_log"}

pytestmark = pytest.mark.alertmanager


def config(base_url: str, keys: dict[str, str]) -> str:
    """alertmanager.yml: one receiver per wire format, routed by the label ``via``; short waits."""
    return json.dumps({
        "route": {"receiver": "webhook", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s",
                  "repeat_interval": "4h",
                  "routes": [{"matchers": [f'via="{name}"'], "receiver": name} for name in RECEIVERS]},
        "receivers": [
            {"name": "opsgenie", "opsgenie_configs": [
                {"api_url": base_url + "/", "api_key": keys["opsgenie"], "send_resolved": True}]},
            {"name": "pagerduty", "pagerduty_configs": [
                {"url": base_url + "/v2/enqueue", "routing_key": keys["pagerduty"], "send_resolved": True}]},
            {"name": "webhook", "webhook_configs": [
                {"url": base_url + "/api/v1/integrations/alertmanager", "send_resolved": True,
                 "http_config": {"authorization": {"credentials": keys["alertmanager"]}}}]},
        ],
    }, indent=2)  # JSON is YAML


@pytest.fixture
def alertmanager(tmp_path: Path, live_warroom, integration_keys) -> Iterator[tuple[str, dict[str, str], Path]]:
    keys = {kind: integration_keys.make(kind, name=f"alertmanager {kind}", team="engineering")
            for kind in ("opsgenie", "pagerduty", "alertmanager")}
    with alertmanager_process(config(live_warroom.base_url, keys), tmp_path) as (api, log):
        yield api, keys, log


def post_alerts(api: str, *, resolved: bool) -> None:
    now = datetime.now(UTC)
    alerts = [{"labels": {"alertname": f"Warroom{name.title()}", "via": name, "severity": "critical"},
               "annotations": {"summary": f"{name} receiver test"},
               "startsAt": (now - timedelta(minutes=5)).isoformat(),
               "generatorURL": "http://prometheus.example/graph",
               **({"endsAt": (now - timedelta(seconds=1)).isoformat()} if resolved else {})}
              for name in RECEIVERS]
    response = httpx.post(f"{api}/api/v2/alerts", json=alerts, timeout=10)
    assert response.status_code == 200, response.text


def by_receiver(runtime, keys: dict[str, str]) -> dict[str, list[tuple[AlertStatus, int]]]:
    from warroom.oncall.keys import service as key_service

    with runtime.database.reading() as db:
        ids = {}
        for kind, secret in keys.items():
            found = key_service.authenticate_key(db=db, secret=secret)
            assert found is not None
            ids[found.id] = {"alertmanager": "webhook"}.get(kind, kind)
    seen: dict[str, list[tuple[AlertStatus, int]]] = {name: [] for name in RECEIVERS}
    for alert in alerts_of(runtime):
        seen[ids[alert.integration_key_id or 0]].append((alert.status, alert.id))
    return seen


def test_alertmanager_opens_and_closes_one_alert_per_receiver(runtime, alertmanager):
    api, keys, log = alertmanager
    assert KeyKind.opsgenie.value in keys
    before = stored(runtime)
    post_alerts(api, resolved=False)

    def opened() -> bool:
        return all(len(found) == 1 for found in by_receiver(runtime, keys).values())

    try:
        wait_until(opened, seconds=60, what="one open Warroom alert per receiver")
        assert all(status is AlertStatus.open for found in by_receiver(runtime, keys).values()
                   for status, _ in found)
        post_alerts(api, resolved=True)
        wait_until(lambda: all(found and found[0][0] is AlertStatus.closed
                               for found in by_receiver(runtime, keys).values()),
                   seconds=60, what="each receiver's alert closed")
    except AssertionError as error:
        raise AssertionError(f"{error}\nWarroom alerts: {by_receiver(runtime, keys)}\n"
                             f"alertmanager log:\n{log.read_text()[-4000:]}") from None
    found = by_receiver(runtime, keys)
    assert {name: len(alerts) for name, alerts in found.items()} == dict.fromkeys(RECEIVERS, 1)
    after = stored(runtime)
    changed = {table for table in after if after[table] != before[table]}
    assert changed <= ALERT_TABLES, changed
    text = log.read_text()
    assert "level=error" not in text, text[-4000:]
    assert "level=warn" not in text, text[-4000:]
    for name in RECEIVERS:  # the firing and the resolved notification, each accepted at the first attempt
        assert text.count(f'receiver={name} integration={name}[0] msg="Notify success" attempts=1') >= 2, name


# A group that grows, partly resolves and resolves, through all three receivers --------------------------------


def grouped_config(base_url: str, keys: dict[str, str]) -> str:
    """As ``config``, but the opsgenie receiver names a team Warroom has and one it does not."""
    parsed = json.loads(config(base_url, keys))
    parsed["receivers"][0]["opsgenie_configs"][0]["responders"] = [
        {"name": "engineering", "type": "team"}, {"name": "sre", "type": "team"}]
    return json.dumps(parsed, indent=2)


@pytest.fixture
def grouped_alertmanager(tmp_path: Path, live_warroom, integration_keys):
    keys = {kind: integration_keys.make(kind, name=f"alertmanager {kind}", team="engineering")
            for kind in ("opsgenie", "pagerduty", "alertmanager")}
    with alertmanager_process(grouped_config(live_warroom.base_url, keys), tmp_path) as (api, log):
        yield api, keys, log


def post_instances(api: str, firing: tuple[str, ...], resolved: tuple[str, ...] = ()) -> None:
    """One alert per receiver and instance (grouped by alertname, so one group per receiver)."""
    now = datetime.now(UTC)
    alerts = [{"labels": {"alertname": f"Checkout{name.title()}", "via": name, "severity": "critical",
                          "instance": instance},
               "annotations": {"summary": f"checkout slow on {instance}"},
               "startsAt": (now - timedelta(minutes=5)).isoformat(),
               "generatorURL": "http://prometheus.example/graph",
               **({"endsAt": (now - timedelta(seconds=1)).isoformat()} if instance in resolved else {})}
              for name in RECEIVERS for instance in firing + resolved]
    response = httpx.post(f"{api}/api/v2/alerts", json=alerts, timeout=10)
    assert response.status_code == 200, response.text


def alerts_by_receiver(runtime, keys: dict[str, str]) -> dict[str, list]:
    seen = by_receiver(runtime, keys)
    rows = {a.id: a for a in alerts_of(runtime)}
    return {name: [rows[alert_id] for _, alert_id in found] for name, found in seen.items()}


def test_a_group_grows_partly_resolves_and_resolves_through_every_receiver(runtime, grouped_alertmanager):
    api, keys, log = grouped_alertmanager

    def current() -> dict[str, list]:
        return alerts_by_receiver(runtime, keys)

    try:
        post_instances(api, ("a",))
        wait_until(lambda: all(len(found) == 1 for found in current().values()), seconds=60,
                   what="one open Warroom alert per receiver")
        post_instances(api, ("a", "b"))  # b joins each group
        wait_until(lambda: current()["webhook"][0].message == "[FIRING:2] CheckoutWebhook"
                   and all(found[0].count >= 2 for found in current().values()),
                   seconds=60, what="each group's second notification")
        post_instances(api, ("b",), resolved=("a",))  # a resolves, b still fires
        wait_until(lambda: current()["webhook"][0].message == "[FIRING:1] CheckoutWebhook", seconds=60,
                   what="the webhook alert following the partial resolve")
        grown = current()
        assert all(found[0].status is AlertStatus.open for found in grown.values())
        post_instances(api, (), resolved=("a", "b"))
        wait_until(lambda: all(found[0].status is AlertStatus.closed for found in current().values()),
                   seconds=60, what="each receiver's alert closed")
    except AssertionError as error:
        raise AssertionError(f"{error}\nWarroom alerts: {by_receiver(runtime, keys)}\n"
                             f"alertmanager log:\n{log.read_text()[-4000:]}") from None
    final = current()
    assert {name: len(found) for name, found in final.items()} == dict.fromkeys(RECEIVERS, 1)
    webhook = grown["webhook"][0]
    assert (webhook.details["firing"], webhook.details["resolved"]) == ("b", "a")
    lines = webhook.description.splitlines()
    assert len(lines) == len(set(lines)) == 2
    assert "[instance=b]" in lines[0] and lines[1].startswith("- [resolved]")
    opsgenie = final["opsgenie"][0]
    assert opsgenie.unresolved_responders == [{"type": "team", "name": "sre"}]
    assert opsgenie.responders == [{"type": "team", "id": team_id(runtime, "engineering")}]
    text = log.read_text()
    assert "level=error" not in text, text[-4000:]
    assert "level=warn" not in text, text[-4000:]
