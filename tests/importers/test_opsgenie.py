"""Opsgenie into Warroom live, from a fake serving the documented shapes (paged by `paging.next`, one 429):
teams in their `data` envelopes, contacts and notification rules, escalation conditions and notify types, the
heartbeat's tags, and the API integration's key kept, so the Alert API and the on-call API answer to the
monitoring tool's key and to Opsgenie's ids."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.importers import opsgenie as importer
from warroom.importers.run import Source
from warroom.oncall.alerts.models import Alert
from warroom.oncall.heartbeats.models import Heartbeat
from warroom.oncall.keys.models import IntegrationKey

from ..compat.conftest import admin_token  # noqa: F401  (fixture, registered by importing it)
from ..support import http_server, stored
from .fakes import OPSGENIE, OPSGENIE_KEY, opsgenie_fake
from .helpers import on_call, reach, run, steps


def genie() -> dict[str, str]:
    return {"Authorization": f"GenieKey {OPSGENIE_KEY}"}


def live(runtime, factory, *, dry_run: bool = False):
    fake = opsgenie_fake()
    with http_server(fake.respond) as server:
        fake.base = server.url
        report = run(runtime, factory, Source.opsgenie, url=server.url, key="og-read-key", dry_run=dry_run)
    return fake, server, report


def test_a_live_import_pages_through_and_carries_people_teams_rotations_and_rules(runtime, factory):
    fake, server, report = live(runtime, factory)
    assert fake.limited
    assert len([r for r in server.requests if r.path.startswith("/v2/users?")]) == 3  # 429, two pages
    assert report.created["users"] == 3 and report.created["teams"] == 1
    with runtime.database.reading() as db:
        team = accounts.find_team(db=db, name="sre")
        assert team is not None
        assert sorted(u.handle for u in accounts.team_members(db=db, team=team)) == ["alice", "bob"]
    assert reach(runtime, "alice") == ([("email", "alice@acme.example"), ("sms", "+4915112345678")],
                                       [("email", 0), ("sms", 5)])
    assert on_call(runtime, "sre-schedule", "2026-01-05T09:00:00+00:00") == ["alice"]
    assert on_call(runtime, "sre-schedule", "2026-01-06T11:00:00+00:00") == ["carol"]  # the override
    assert on_call(runtime, "sre-schedule", "2026-01-12T09:00:00+00:00") == ["bob"]
    _, shown = steps(runtime, "sre-escalation")
    assert shown[0] == (10, [("schedule", "sre-schedule")])
    # Kept or warned about, never dropped: the condition and notify type Warroom does not have.
    assert any("if-not-closed" in w for w in report.warnings)
    assert any("'all'" in w for w in report.warnings)
    assert report.uncarried["heartbeats.alertTags"] == 1
    assert report.uncarried["users.contacts.mobile"] == 1
    assert report.uncarried["notification-rules.close-alert"] == 1
    assert report.uncarried["integrations.Email"] == 1
    assert report.uncarried["users.timeZone"] == 2


def test_teams_in_their_data_envelopes_are_imported(runtime, factory):
    """Get team answers `{"data": {…}, "took", "requestId"}`; a list of them is what a saved export holds."""
    export = {"users": OPSGENIE["/v2/users"], "teams": [OPSGENIE["/v2/teams/og-team-sre"]]}
    with runtime.database.writing() as db:
        report = importer.import_export(db=db, actor=factory.system, export=export)
    assert report.created["teams"] == 1
    assert report.created["memberships"] == 2


def test_the_integration_key_is_kept_and_the_compat_api_finds_things_by_opsgenie_ids(runtime, factory, client):
    live(runtime, factory)
    with runtime.database.reading() as db:
        key = db.scalar(sa.select(IntegrationKey))
        team = accounts.find_team(db=db, name="sre")
        assert key is not None and team is not None
        assert key.kind.value == "opsgenie" and key.team_id == team.id
    by_source_id = client.get("/v2/schedules/og-sched-1/on-calls", headers=genie())
    assert by_source_id.status_code == 200, by_source_id.text
    assert by_source_id.json()["data"]["_parent"]["name"] == "SRE_Schedule"
    sent = client.post("/v2/alerts", headers=genie(), json={
        "message": "Disk full", "responders": [{"id": "og-team-sre", "type": "team"},
                                               {"id": "og-bob", "type": "user"},
                                               {"id": "og-esc-1", "type": "escalation"}]})
    assert sent.status_code == 202, sent.text
    with runtime.database.reading() as db:
        alert = db.scalar(sa.select(Alert))
        assert alert is not None
        kinds = sorted(r["type"] for r in alert.responders)
    assert kinds == ["escalation", "team", "user"]
    assert alert.unresolved_responders == []
    made = client.post("/v2/heartbeats", headers=genie(), json={
        "name": "weekly-report", "interval": 7, "intervalUnit": "days", "enabled": True,
        "ownerTeam": {"id": "og-team-sre"}})
    assert made.status_code == 201, made.text
    with runtime.database.reading() as db:
        beat = db.scalar(sa.select(Heartbeat).where(Heartbeat.name == "weekly-report"))
        assert beat is not None and beat.team_id == team.id


def test_a_dry_run_writes_nothing_and_a_second_run_changes_nothing(runtime, factory):
    before = stored(runtime)
    _, _, dry = live(runtime, factory, dry_run=True)
    assert stored(runtime) == before
    assert any(line.startswith("create opsgenie key Prometheus") for line in dry.actions)
    live(runtime, factory)
    _, _, again = live(runtime, factory)
    assert again.created == dict.fromkeys(again.created, 0)
    assert again.skipped["keys"] == 1


def test_admins_import_integrations_over_the_api_too(client, runtime, admin_token):  # noqa: F811
    export = {"users": OPSGENIE["/v2/users"], "teams": [OPSGENIE["/v2/teams/og-team-sre"]],
              "integrations": [OPSGENIE["/v2/integrations/og-int-1"]],
              "contacts": {"og-alice": OPSGENIE["/v2/users/og-alice/contacts"]},
              "notification-rules": {"og-alice": [OPSGENIE["/v2/users/og-alice/notification-rules/nr1"]]}}
    done = client.post("/api/v1/integrations/opsgenie/import", json=export,
                       headers={"Authorization": f"Bearer {admin_token}"})
    assert done.status_code == 200, done.text
    assert done.json()["created"]["keys"] == 1 and done.json()["created"]["notification_rules"] == 2
    assert done.json()["not_carried"]["users.contacts.mobile"] == 1
    sent = client.post("/v2/alerts", headers=genie(), json={"message": "Disk full"})
    assert sent.status_code == 202, sent.text


def test_a_kept_key_value_must_look_like_a_credential_and_be_nobody_elses(runtime, factory):
    from warroom.core.errors import ValidationFailed
    from warroom.oncall.keys import service as keys
    from warroom.oncall.keys.models import KeyKind

    with runtime.database.writing() as db:
        keys.create_key(db=db, actor=factory.system, name="kept", kind=KeyKind.opsgenie, secret=OPSGENIE_KEY)
    for value, says in (("short", "at least 16"), ("has spaces in it, sixteen+", "no spaces"),
                        (OPSGENIE_KEY, "has this value already")):
        with pytest.raises(ValidationFailed) as refused, runtime.database.writing() as db:
            keys.create_key(db=db, actor=factory.system, name="again", kind=KeyKind.opsgenie, secret=value)
        assert says in refused.value.message
