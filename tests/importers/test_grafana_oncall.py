"""Grafana OnCall (public API v1) into Warroom, live from a fake serving the documented shapes (paged by `next`,
one 429) and from a folder: shifts become rotations, chains become policies, and an integration's URL token
becomes the key's value, so Alertmanager changes only the host of `/integrations/v1/alertmanager/<token>/`."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.importers import grafana_oncall
from warroom.importers.run import Source
from warroom.oncall.alerts.models import Alert
from warroom.oncall.keys.models import IntegrationKey

from ..support import http_server, stored
from .fakes import GRAFANA_TOKEN, grafana_fake, save_grafana
from .helpers import on_call, run, steps

FIRING = {"version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing", "receiver": "oncall",
          "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {"alertname": "DiskFull", "severity": "critical"},
          "commonAnnotations": {"summary": "Disk full on db-1"}, "externalURL": "http://am.example",
          "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "instance": "db-1"},
                      "annotations": {"summary": "Disk full on db-1"}, "startsAt": "2026-01-05T09:00:00Z",
                      "fingerprint": "abc"}]}


def test_a_live_import_follows_next_waits_out_a_429_and_builds_the_rotation(runtime, factory):
    fake = grafana_fake()
    with http_server(fake.respond) as server:
        fake.base = server.url
        report = run(runtime, factory, Source.grafana_oncall, url=server.url, key="grafana-api-token")
    assert fake.limited
    assert len([r for r in server.requests if r.path.startswith("/api/v1/users/")]) == 3  # 429, page 1, page 2
    assert report.created["users"] == 3 and report.created["schedules"] == 2
    with runtime.database.reading() as db:
        team = accounts.find_team(db=db, name="sre")
        assert team is not None
        assert sorted(u.handle for u in accounts.team_members(db=db, team=team)) == ["alice", "bob"]
    # Weekly Alice then Bob; Carol's office hours (a higher level) win on weekdays 09:00-17:00; Bob's override.
    assert on_call(runtime, "sre-rotation", "2026-01-05T08:00:00+00:00") == ["alice"]
    assert on_call(runtime, "sre-rotation", "2026-01-05T10:00:00+00:00") == ["carol"]
    assert on_call(runtime, "sre-rotation", "2026-01-10T10:00:00+00:00") == ["alice"]  # Saturday
    assert on_call(runtime, "sre-rotation", "2026-01-12T08:00:00+00:00") == ["bob"]
    assert on_call(runtime, "sre-rotation", "2026-01-06T21:00:00+00:00") == ["bob"]
    _, shown = steps(runtime, "sre-chain")
    assert shown == [(10, [("schedule", "sre-rotation")]), (0, [("user", "alice")])]


def test_the_integration_url_token_is_the_key_and_the_same_path_takes_alerts(runtime, factory, client, tmp_path):
    run(runtime, factory, Source.grafana_oncall, folder=save_grafana(tmp_path / "g"))
    with runtime.database.reading() as db:
        key = db.scalar(sa.select(IntegrationKey))
        assert key is not None and key.kind.value == "alertmanager" and key.escalation_policy_id is not None
    sent = client.post(f"/integrations/v1/alertmanager/{GRAFANA_TOKEN}/", json=FIRING)
    assert sent.status_code == 200, sent.text
    grafana = client.post(f"/integrations/v1/grafana_alerting/{GRAFANA_TOKEN}/",
                          json={**FIRING, "version": "1", "groupKey": "other", "orgId": 1, "state": "alerting"})
    assert grafana.status_code == 200, grafana.text
    with runtime.database.reading() as db:
        messages = [a.message for a in db.scalars(sa.select(Alert).order_by(Alert.id))]
    assert len(messages) == 2 and all("Disk full on db-1" in m for m in messages)
    wrong = client.post("/integrations/v1/alertmanager/not-a-known-token/", json=FIRING)
    assert wrong.status_code == 401
    unknown_kind = client.post(f"/integrations/v1/zabbix/{GRAFANA_TOKEN}/", json=FIRING)
    assert unknown_kind.status_code == 404 and "alertmanager" in unknown_kind.json()["detail"]


def test_what_has_no_place_in_warroom_is_reported_not_dropped(runtime, factory, tmp_path):
    report = run(runtime, factory, Source.grafana_oncall, folder=save_grafana(tmp_path / "g"))
    assert report.uncarried["schedules.ical_url_primary"] == 1
    assert report.uncarried["escalation_policies.trigger_webhook"] == 1
    assert report.uncarried["escalation_policies.important"] == 1
    assert report.uncarried["integrations.webhook"] == 1
    assert report.uncarried["routes.routing_regex"] == 1
    assert report.uncarried["teams.email"] == 1
    assert any("iCal" in w for w in report.warnings)


def test_a_dry_run_writes_nothing_and_a_second_run_changes_nothing(runtime, factory, tmp_path):
    folder = save_grafana(tmp_path / "g")
    before = stored(runtime)
    dry = run(runtime, factory, Source.grafana_oncall, folder=folder, dry_run=True)
    assert stored(runtime) == before and dry.created["keys"] == 1
    run(runtime, factory, Source.grafana_oncall, folder=folder)
    again = run(runtime, factory, Source.grafana_oncall, folder=folder)
    assert again.created == dict.fromkeys(again.created, 0)
    assert again.skipped["keys"] == 1


def test_the_token_comes_from_the_integration_url():
    assert grafana_oncall.token_of("https://o.example/integrations/v1/grafana_alerting/AbC_12-x/") == (
        "grafana_alerting", "AbC_12-x")
    assert grafana_oncall.token_of("https://o.example/somewhere/else") is None
