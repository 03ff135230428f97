"""No alert is refused, and no page lost, for its routing (issue 13, defects 1, 3 and 5).

A responder Warroom does not know is kept on the alert with a warning in its timeline; the alert pages its other
responders, else its key's policy or team, else the catch-all (WARROOM_UNROUTED_PAGE, every admin by default).
Such alerts show under "unrouted". Opsgenie's ``user`` naming a Warroom user is who acknowledged or closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError

from warroom.accounts.models import AccessRole, TokenScope
from warroom.api.app import create_app
from warroom.audit.models import AuditEntry
from warroom.config import Settings
from warroom.db.engine import Database
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.runtime import Runtime

from ..support.alertmanager import alertmanager_process
from .conftest import alerts_of, first_steps, wait_until

OPSGENIE_ID = "4513b7ea-3b91-438f-b7e4-e3e54af9147c"  # how Opsgenie names a team by id


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


def create(client: TestClient, key: str, **body: object):
    return client.post("/v2/alerts", json={"message": "Search is down", **body}, headers=genie(key))


def timeline(runtime: Runtime, alert_id: int, *kinds: str) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(AlertEvent.body).where(AlertEvent.alert_id == alert_id,
                                                                 AlertEvent.kind.in_(kinds))
                               .order_by(AlertEvent.id)))


def paged(runtime: Runtime, alert_id: int) -> list[str]:
    [step] = first_steps(runtime, alert_id)
    assert step.kind == "escalated", step.body
    return list(step.data["users"])


@pytest.fixture
def org(factory):
    """alice and amy (admins), bob and dan (engineering), carol (customer-support)."""
    return {"alice": factory.user("alice", AccessRole.admin), "amy": factory.user("amy", AccessRole.admin),
            "bob": factory.user("bob", teams=("engineering",)), "dan": factory.user("dan", teams=("engineering",)),
            "carol": factory.user("carol", teams=("customer-support",))}


# Defect 1: an unknown responder loses nothing ----------------------------------------------------------------


def test_an_unknown_team_is_kept_on_the_alert_and_the_keys_team_is_paged(client, runtime, org, integration_keys):
    key = integration_keys.make("opsgenie", team="engineering")
    response = create(client, key, responders=[{"name": "sre", "type": "team"}])
    assert response.status_code == 202, response.text
    [alert] = alerts_of(runtime)
    assert (alert.responders, alert.unresolved_responders, alert.unrouted) == (
        [], [{"type": "team", "name": "sre"}], True)
    assert timeline(runtime, alert.id, "unresolved_responder") == [
        "Responder team 'sre' is not in Warroom; paged its key's team engineering instead"]
    assert sorted(paged(runtime, alert.id)) == ["bob", "dan"]
    status = client.get(f"/v2/alerts/requests/{response.json()['requestId']}", headers=genie(key)).json()["data"]
    assert (status["isSuccess"], status["alertId"]) == (True, str(alert.id))


def test_responders_by_opsgenie_id_are_kept_and_the_known_ones_paged(client, runtime, org, integration_keys):
    key = integration_keys.make("opsgenie", team="engineering")
    response = create(client, key, responders=[{"id": OPSGENIE_ID, "type": "team"},
                                               {"username": "carol@example.com", "type": "user"},
                                               {"name": "ghost@example.com", "type": "user"}])
    assert response.status_code == 202, response.text
    [alert] = alerts_of(runtime)
    assert alert.unresolved_responders == [{"type": "team", "id": OPSGENIE_ID},
                                           {"type": "user", "name": "ghost@example.com"}]
    assert timeline(runtime, alert.id, "unresolved_responder") == [
        f"Responder team with id '{OPSGENIE_ID}' is not in Warroom; paged @carol instead",
        "Responder user 'ghost@example.com' is not in Warroom; paged @carol instead"]
    assert paged(runtime, alert.id) == ["carol"]


def test_an_unknown_responder_on_a_key_with_a_policy_pages_the_policy(client, runtime, org, integration_keys):
    integration_keys.policy("engineering-pager", team="engineering",
                            steps=[(5, [{"type": "user", "id": "dan"}])])
    key = integration_keys.make("opsgenie", policy="engineering-pager")
    assert create(client, key, responders=[{"name": "sre", "type": "escalation"}]).status_code == 202
    [alert] = alerts_of(runtime)
    assert timeline(runtime, alert.id, "unresolved_responder") == [
        "Responder escalation 'sre' is not in Warroom; paged its key's escalation policy engineering-pager instead"]
    assert paged(runtime, alert.id) == ["dan"]


def test_with_nothing_to_page_the_admins_are_paged_and_the_alert_shows_as_unrouted(client, runtime, org,
                                                                                     factory, integration_keys):
    nowhere = integration_keys.make("opsgenie", name="nagios")
    assert create(client, nowhere, alias="a", responders=[{"name": "sre", "type": "team"}]).status_code == 202
    assert create(client, nowhere, alias="b").status_code == 202
    routed = integration_keys.make("opsgenie", team="engineering")
    assert create(client, routed, alias="c").status_code == 202
    first, second, third = alerts_of(runtime)
    for alert in (first, second):
        assert alert.unrouted
        assert paged(runtime, alert.id) == ["alice", "amy"]
    assert timeline(runtime, first.id, "unresolved_responder") == [
        "Responder team 'sre' is not in Warroom; paged the catch-all, admins (@alice, @amy) instead"]
    assert timeline(runtime, second.id, "catch_all") == [
        "Nothing routes this alert (no responders, and no team or escalation policy on its key); paged the "
        "catch-all, admins (@alice, @amy) instead"]
    assert not third.unrouted and sorted(paged(runtime, third.id)) == ["bob", "dan"]
    token = factory.token(org["bob"], TokenScope.read)
    listed = client.get("/api/v1/alerts?unrouted=true", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    assert [(a["id"], a["unrouted"]) for a in listed.json()["items"]] == [(second.id, True), (first.id, True)]
    assert listed.json()["items"][1]["unresolved_responders"] == [{"type": "team", "name": "sre"}]
    everything = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).json()
    assert everything["total"] == 3


def test_pagerduty_and_alertmanager_alerts_of_a_key_routed_nowhere_page_the_catch_all(client, runtime, org,
                                                                                       integration_keys):
    pd_key = integration_keys.make("pagerduty")
    sent = client.post("/v2/enqueue", json={"routing_key": pd_key, "event_action": "trigger", "payload": {
        "summary": "disk full", "source": "db-1", "severity": "critical"}})
    assert sent.status_code == 202, sent.text
    am_key = integration_keys.make("alertmanager")
    webhook = client.post("/api/v1/integrations/alertmanager", headers={"Authorization": f"Bearer {am_key}"}, json={
        "version": "4", "groupKey": "{}:{alertname=\"Down\"}", "status": "firing", "receiver": "warroom",
        "groupLabels": {"alertname": "Down"}, "commonLabels": {"alertname": "Down"}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.test", "alerts": [{"status": "firing", "labels": {"alertname": "Down"},
                                                              "annotations": {}, "startsAt": "2026-01-05T09:00:00Z",
                                                              "fingerprint": "f1"}]})
    assert webhook.status_code == 200, webhook.text
    found = alerts_of(runtime)
    assert len(found) == 2
    for alert in found:
        assert alert.unrouted and paged(runtime, alert.id) == ["alice", "amy"]
        assert len(timeline(runtime, alert.id, "catch_all")) == 1


@pytest.fixture
def ops_catch_all(settings, clock) -> Iterator[tuple[Runtime, TestClient]]:
    """A Warroom whose WARROOM_UNROUTED_PAGE is team:ops."""
    chosen = settings.model_copy(update={"unrouted_page": "team:ops"})
    runtime = Runtime(chosen, Database(chosen.resolved_database_url()), clock)
    with TestClient(create_app(runtime, run_engine=False)) as client:
        yield runtime, client
    runtime.database.dispose()


def test_the_catch_all_is_the_team_the_setting_names(ops_catch_all, org, factory):
    from .conftest import Keys

    runtime, client = ops_catch_all
    its_keys = Keys(runtime, factory)  # keys made in this Warroom
    factory.user("olga", teams=("ops",))
    key = its_keys.make("opsgenie")
    assert create(client, key, responders=[{"name": "sre", "type": "team"}]).status_code == 202
    [alert] = alerts_of(runtime)
    assert timeline(runtime, alert.id, "unresolved_responder") == [
        "Responder team 'sre' is not in Warroom; paged the catch-all, team ops instead"]
    assert paged(runtime, alert.id) == ["olga"]


def test_the_catch_all_setting_is_checked_at_start(settings):
    for good in ("admins", "team:ops", "policy:night-pager", "policy:7"):
        assert Settings(**{**settings.model_dump(), "unrouted_page": good}).unrouted_page == good
    for bad in ("nobody", "team:", "user:alice"):
        with pytest.raises(ValidationError, match="WARROOM_UNROUTED_PAGE"):
            Settings(**{**settings.model_dump(), "unrouted_page": bad})


def test_an_outsider_sees_an_unrouted_alert_of_a_private_incident_without_the_names_it_asked_for(
        client, runtime, org, factory, integration_keys):
    key = integration_keys.make("opsgenie", team="engineering")
    assert create(client, key, responders=[{"name": "payroll-breach", "type": "team"}]).status_code == 202
    [alert] = alerts_of(runtime)
    incident = factory.incident(org["alice"], title="Key leaked", security=True)
    with runtime.database.writing() as db:
        alerts.attach_to_incident(db=db, actor=factory.actor(org["alice"]), alert_id=alert.id,
                                  incident_id=incident.id)
    headers = {"Authorization": f"Bearer {factory.token(org['carol'], TokenScope.read)}"}
    shown = client.get(f"/api/v1/alerts/{alert.id}", headers=headers).json()
    assert (shown["unrouted"], shown["unresolved_responders"]) == (True, [])
    assert "payroll-breach" not in client.get(f"/api/v1/alerts/{alert.id}", headers=headers).text
    assert "payroll-breach" not in client.get("/api/v1/alerts?unrouted=true", headers=headers).text


# Defect 5: the request's user is who acknowledged, closed and owns it -----------------------------------------


def test_a_user_naming_a_warroom_user_acknowledges_closes_and_owns_the_alert(client, runtime, org,
                                                                             integration_keys):
    key = integration_keys.make("opsgenie", team="engineering")
    create(client, key, alias="by-email")
    create(client, key, alias="by-name")
    ack = client.post("/v2/alerts/by-email/acknowledge?identifierType=alias", json={"user": "Bob@Example.com"},
                      headers=genie(key))
    assert ack.status_code == 202
    close = client.post("/v2/alerts/by-email/close?identifierType=alias", json={"user": "@dan"}, headers=genie(key))
    assert close.status_code == 202
    body = client.get("/v2/alerts/by-email?identifierType=alias", headers=genie(key)).json()["data"]
    assert (body["report"]["acknowledgedBy"], body["report"]["closedBy"], body["owner"]) == (
        "bob@example.com", "dan@example.com", "bob@example.com")
    with runtime.database.reading() as db:
        stored = db.scalar(sa.select(Alert).where(Alert.alias == "by-email"))
        assert stored is not None
        assert (stored.acknowledged_by_id, stored.closed_by_id) == (org["bob"].id, org["dan"].id)
        [audited] = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "alert.acknowledge"))
        assert (audited.actor_id, audited.via.startswith("integration-key:")) == (org["bob"].id, True)
    # Someone Warroom does not know is named as given.
    client.post("/v2/alerts/by-name/acknowledge?identifierType=alias", json={"user": "nagios-bot"},
                headers=genie(key))
    body = client.get("/v2/alerts/by-name?identifierType=alias", headers=genie(key)).json()["data"]
    assert (body["report"]["acknowledgedBy"], body["owner"]) == ("nagios-bot", "nagios-bot")


# The real Alertmanager -----------------------------------------------------------------------------------------


@pytest.fixture
def alertmanager_for_sre(tmp_path, live_warroom, org, integration_keys) -> Iterator[tuple[str, Path]]:
    """A real Alertmanager whose opsgenie receiver pages team 'sre' (no such team) with a key routed nowhere."""
    key = integration_keys.make("opsgenie", name="alertmanager sre")
    config = json.dumps({  # JSON is YAML
        "route": {"receiver": "opsgenie", "group_by": ["alertname"], "group_wait": "1s", "group_interval": "1s",
                  "repeat_interval": "4h"},
        "receivers": [{"name": "opsgenie", "opsgenie_configs": [{
            "api_url": live_warroom.base_url + "/", "api_key": key, "send_resolved": True,
            "responders": [{"name": "sre", "type": "team"}]}]}],
    })
    with alertmanager_process(config, tmp_path) as running:
        yield running


@pytest.mark.alertmanager
def test_alertmanager_paging_a_team_warroom_does_not_know_is_stored_and_pages_the_catch_all(
        runtime, alertmanager_for_sre):
    api, log = alertmanager_for_sre
    now = datetime.now(UTC)
    sent = httpx.post(f"{api}/api/v2/alerts", timeout=10, json=[{
        "labels": {"alertname": "CheckoutDown", "severity": "critical"},
        "annotations": {"summary": "checkout is down"}, "startsAt": (now - timedelta(minutes=1)).isoformat()}])
    assert sent.status_code == 200, sent.text
    try:
        wait_until(lambda: bool(alerts_of(runtime)) and bool(first_steps(runtime)), seconds=60,
                   what="the alert stored and paged")
        wait_until(lambda: 'msg="Notify success"' in log.read_text(), seconds=30, what="alertmanager's success")
    except AssertionError as error:
        raise AssertionError(f"{error}\nalertmanager log:\n{log.read_text()[-4000:]}") from None
    [alert] = alerts_of(runtime)
    assert alert.unresolved_responders == [{"type": "team", "name": "sre"}] and alert.unrouted
    assert paged(runtime, alert.id) == ["alice", "amy"]
    assert timeline(runtime, alert.id, "unresolved_responder") == [
        "Responder team 'sre' is not in Warroom; paged the catch-all, admins (@alice, @amy) instead"]
    text = log.read_text()
    assert "level=error" not in text and "level=warn" not in text, text[-4000:]
    assert 'receiver=opsgenie integration=opsgenie[0] msg="Notify success" attempts=1' in text, text[-4000:]
