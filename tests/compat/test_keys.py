"""Integration keys: admins create (secret shown once, stored as a hash), list and revoke them; audited."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.accounts.models import AccessRole, TokenScope
from warroom.audit.models import AuditEntry
from warroom.core.security import hash_secret
from warroom.oncall.keys.models import IntegrationKey

from .conftest import alerts_of, stored

KEYS = "/api/v1/integration-keys"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_creates_each_kind_and_sees_the_secret_once(client, runtime, admin_token):
    made = {}
    for kind in ("pagerduty", "opsgenie", "alertmanager", "heartbeat"):
        response = client.post(KEYS, json={"name": f"{kind} tool", "kind": kind, "team": "engineering"},
                               headers=auth(admin_token))
        assert response.status_code == 201, response.text
        made[kind] = response.json()
    assert len(made["pagerduty"]["key"]) == 32
    assert made["pagerduty"]["url"] == "http://warroom.test/v2/enqueue"
    assert made["opsgenie"]["url"] == "http://warroom.test/"
    assert made["alertmanager"]["url"] == "http://warroom.test/api/v1/integrations/alertmanager"
    assert made["opsgenie"]["team"] == "engineering"
    with runtime.database.reading() as db:
        rows = list(db.scalars(sa.select(IntegrationKey)))
        audited = list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.action == "integration_key.create")))
    assert {r.key_hash for r in rows} == {hash_secret(m["key"]) for m in made.values()}
    assert not any(m["key"] in (r.key_hash, r.name) for r in rows for m in made.values())
    assert len(audited) == 4
    listed = client.get(KEYS, headers=auth(admin_token)).json()
    assert listed["total"] == 4
    assert all("key" not in item for item in listed["items"])
    assert {item["prefix"] for item in listed["items"]} == {m["key"][:8] for m in made.values()}


def test_a_key_can_follow_an_escalation_policy(client, runtime, admin_token, integration_keys):
    policy_id = integration_keys.policy("platform", team="engineering", steps=[(5, [{"type": "team", "id": 1}])])
    response = client.post(KEYS, json={"name": "grafana", "kind": "opsgenie", "escalation_policy": "platform"},
                           headers=auth(admin_token))
    assert response.status_code == 201
    assert response.json()["escalation_policy"] == "platform"
    sent = client.post("/v2/alerts", json={"message": "Disk full"},
                       headers={"Authorization": f"GenieKey {response.json()['key']}"})
    assert sent.status_code == 202
    [alert] = alerts_of(runtime)
    assert alert.escalation_policy_id == policy_id


def test_revoking_stops_the_key_at_once_and_is_audited(client, runtime, admin_token):
    made = client.post(KEYS, json={"name": "am", "kind": "alertmanager"}, headers=auth(admin_token)).json()
    revoked = client.delete(f"{KEYS}/{made['id']}", headers=auth(admin_token))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    body = {"version": "4", "groupKey": "g", "status": "firing", "alerts": [{"status": "firing"}]}
    webhook = client.post("/api/v1/integrations/alertmanager", json=body, headers=auth(made["key"]))
    assert webhook.status_code == 401
    assert "revoked" in webhook.json()["detail"]
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "integration_key.revoke"))


def test_only_admins_manage_keys_and_bad_input_writes_nothing(client, runtime, factory, admin_token):
    bob = factory.token(factory.user("bob", AccessRole.responder), TokenScope.write)
    before = stored(runtime)
    cases = [
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty"}, headers=auth(bob)), 403),
        (client.get(KEYS, headers=auth(bob)), 403),
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty"}), 401),
        (client.post(KEYS, json={"name": "x", "kind": "nagios"}, headers=auth(admin_token)), 422),
        (client.post(KEYS, json={"name": " ", "kind": "pagerduty"}, headers=auth(admin_token)), 422),
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty", "team": "nope"}, headers=auth(admin_token)), 422),
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty", "escalation_policy": "nope"},
                     headers=auth(admin_token)), 404),
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty", "dedup_per_alert": True},
                     headers=auth(admin_token)), 422),
        (client.post(KEYS, json={"name": "x", "kind": "pagerduty", "extra": 1}, headers=auth(admin_token)), 422),
        (client.delete(f"{KEYS}/999", headers=auth(admin_token)), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert stored(runtime) == before
