"""Importing an Opsgenie account from its API responses: people, teams, schedules (rotations, restrictions,
overrides), escalations and heartbeats land as Warroom rows, and who is on call comes out the same."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, TokenScope, User
from warroom.importers import opsgenie as importer
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.schedules import service as schedules

from .conftest import stored


def user_ref(name: str) -> dict[str, str]:
    return {"type": "user", "id": f"u-{name}", "username": f"{name}@acme.example"}


EXPORT = {
    "users": {"data": [
        {"id": "u-alice", "username": "alice@acme.example", "fullName": "Alice Admin", "role": {"name": "Admin"}},
        {"id": "u-bob", "username": "Bob@acme.example", "fullName": "Bob Builder", "role": {"name": "User"}},
        {"id": "u-carol", "username": "carol@acme.example", "fullName": "Carol", "role": {"name": "Observer"}},
        {"id": "u-dan", "username": "dan@acme.example", "fullName": "Dan", "role": {"name": "User"}, "blocked": True},
    ], "took": 0.1, "requestId": "r1"},
    "teams": [{"id": "t-plat", "name": "Platform Team", "description": "",
               "members": [{"user": {"id": "u-alice", "username": "alice@acme.example"}, "role": "admin"},
                           {"user": {"id": "u-bob"}, "role": "user"}]}],
    "schedules": {"data": [{
        "id": "s-1", "name": "Platform_Schedule", "description": "primary", "timezone": "Europe/Berlin",
        "enabled": True, "ownerTeam": {"id": "t-plat", "name": "Platform Team"},
        "rotations": [
            {"id": "r-1", "name": "Weekly", "startDate": "2026-01-05T08:00:00Z", "type": "weekly", "length": 1,
             "participants": [user_ref("alice"), user_ref("bob"), user_ref("dan")]},
            {"id": "r-2", "name": "Business hours", "startDate": "2026-01-05T08:00:00Z", "type": "daily",
             "participants": [{"type": "user", "username": "carol@acme.example"}, {"type": "none"}],
             "timeRestriction": {"type": "weekday-and-time-of-day", "restrictions": [
                 {"startDay": "monday", "startHour": 9, "startMin": 0, "endDay": "friday", "endHour": 17,
                  "endMin": 0}]}},
        ]}]},
    "overrides": {"Platform_Schedule": {"data": [
        {"alias": "o1", "user": user_ref("bob"), "startDate": "2026-01-10T10:00:00Z",
         "endDate": "2026-01-10T20:00:00Z", "rotations": []},
        {"alias": "old", "user": user_ref("carol"), "startDate": "2025-01-01T00:00:00Z",
         "endDate": "2025-01-02T00:00:00Z", "rotations": []},
    ]}},
    "escalations": {"data": [{
        "id": "e-1", "name": "Platform_Escalation", "description": "", "ownerTeam": {"id": "t-plat"},
        "rules": [
            {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 0, "timeUnit": "minutes"},
             "recipient": {"type": "schedule", "id": "s-1", "name": "Platform_Schedule"}},
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 10, "timeUnit": "minutes"}, "recipient": user_ref("alice")},
            {"condition": "if-not-acked", "notifyType": "default",
             "delay": {"timeAmount": 10, "timeUnit": "minutes"},
             "recipient": {"type": "team", "name": "Platform Team"}},
            {"condition": "if-not-acked", "notifyType": "default", "delay": {"timeAmount": 1, "timeUnit": "hours"},
             "recipient": {"type": "user", "username": "bob@acme.example"}},
        ],
        "repeat": {"waitInterval": 15, "count": 2, "resetRecipientStates": False, "closeAlertAfterAll": False}}]},
    "heartbeats": {"data": {"heartbeats": [
        {"name": "nightly-backup", "description": "", "interval": 1, "intervalUnit": "days", "enabled": True,
         "expired": False, "ownerTeam": {"id": "t-plat", "name": "Platform Team"},
         "alertMessage": "nightly-backup is expired", "alertTags": [], "alertPriority": "P2"}]}},
}


def run_import(runtime, factory, export=EXPORT) -> importer.ImportReport:
    with runtime.database.writing() as db:
        return importer.import_export(db=db, actor=factory.system, export=copy.deepcopy(export))


def on_call(runtime, when: str) -> list[str]:
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-schedule")
        at = datetime.fromisoformat(when).astimezone(UTC)
        return [u.handle for u in schedules.who_is_on_call(db=db, schedule=schedule, at=at)]


def test_people_and_teams_arrive_with_their_roles(runtime, factory):
    report = run_import(runtime, factory)
    assert report.created["users"] == 4
    assert report.created["teams"] == 1
    assert report.created["memberships"] == 2
    with runtime.database.reading() as db:
        people = {u.handle: u for u in db.scalars(sa.select(User))}
        team = accounts.find_team(db=db, name="platform-team")
        assert team is not None
        members = [u.handle for u in accounts.team_members(db=db, team=team)]
    assert people["alice"].access_role is AccessRole.admin
    assert people["bob"].access_role is AccessRole.responder
    assert people["bob"].email == "bob@acme.example"
    assert people["carol"].access_role is AccessRole.viewer
    assert people["dan"].is_active is False
    assert people["alice"].password_hash is None
    assert members == ["alice", "bob"]


def test_schedules_keep_their_zone_rotations_restrictions_and_overrides(runtime, factory):
    report = run_import(runtime, factory)
    assert report.created["schedules"] == 1
    assert report.created["layers"] == 2
    assert report.created["overrides"] == 1
    assert report.skipped["overrides"] == 1  # the one that ended in 2025
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-schedule")
        layers = schedules.list_layers(db=db, schedule=schedule)
    assert (schedule.name, schedule.time_zone) == ("Platform_Schedule", "Europe/Berlin")
    assert [(layer.rotation.value, layer.handoff_local) for layer in layers] == [
        ("weekly", "2026-01-05T09:00"), ("daily", "2026-01-05T09:00")]
    assert layers[1].restrictions == [{"days": [0], "start": "09:00", "end": "00:00"},
                                      {"days": [1, 2, 3], "start": "00:00", "end": "00:00"},
                                      {"days": [4], "start": "00:00", "end": "17:00"}]
    # Business hours (Mon 09:00 to Fri 17:00, Berlin) are carol's; the weekly rotation covers the rest.
    assert on_call(runtime, "2026-01-06T03:00:00+01:00") == ["carol"]
    assert on_call(runtime, "2026-01-09T17:30:00+01:00") == ["alice"]
    assert on_call(runtime, "2026-01-10T12:00:00+01:00") == ["bob"]  # the override
    assert on_call(runtime, "2026-01-10T22:00:00+01:00") == ["alice"]
    assert on_call(runtime, "2026-01-17T12:00:00+01:00") == ["bob"]
    # Dan is blocked: left out of the rotation, so the third week is alice's again.
    assert on_call(runtime, "2026-01-24T12:00:00+01:00") == ["alice"]
    assert any("'none' turn" in w for w in report.warnings)
    assert any("layers them" in w for w in report.warnings)
    assert any("blocked" in w for w in report.warnings)


def test_escalations_become_policies_with_steps_and_repeats(runtime, factory):
    run_import(runtime, factory)
    with runtime.database.reading() as db:
        policy = db.scalar(sa.select(EscalationPolicy).where(EscalationPolicy.slug == "platform-escalation"))
        assert policy is not None
        steps = list(db.scalars(sa.select(EscalationStep).where(EscalationStep.policy_id == policy.id)
                                .order_by(EscalationStep.position)))
        schedule = schedules.get_schedule(db=db, ref="platform-schedule")
        handles = {u.id: u.handle for u in db.scalars(sa.select(User))}
        team = accounts.find_team(db=db, name="platform-team")
        assert team is not None
    assert policy.repeat == 2
    assert policy.team_id == team.id
    assert [s.delay_minutes for s in steps] == [10, 50, 15]
    assert steps[0].targets == [{"type": "schedule", "id": schedule.id}]
    assert [(t["type"], handles.get(t["id"]) if t["type"] == "user" else t["id"]) for t in steps[1].targets] == [
        ("user", "alice"), ("team", team.id)]
    assert [handles[t["id"]] for t in steps[2].targets] == ["bob"]


def test_a_second_escalation_of_a_team_is_imported_without_the_team(runtime, factory):
    export = copy.deepcopy(EXPORT)
    export["escalations"]["data"].append({  # type: ignore[index]
        "id": "e-2", "name": "Platform night", "ownerTeam": {"name": "Platform Team"},
        "rules": [{"delay": {"timeAmount": 0, "timeUnit": "minutes"}, "recipient": user_ref("bob")}]})
    report = run_import(runtime, factory, export)
    assert report.created["escalations"] == 2
    assert any("already has an escalation policy" in w for w in report.warnings)
    with runtime.database.reading() as db:
        teams = dict(db.execute(sa.select(EscalationPolicy.slug, EscalationPolicy.team_id)).all())
    assert teams["platform-night"] is None
    assert teams["platform-escalation"] is not None


def test_heartbeats_arrive_with_their_interval_and_priority(runtime, factory):
    run_import(runtime, factory)
    with runtime.database.reading() as db:
        beat = heartbeats.get_heartbeat(db=db, name="nightly-backup")
    assert (beat.interval_seconds, beat.alert_priority, beat.enabled) == (86400, "P2", True)
    assert heartbeats.expired_message(beat) == "Heartbeat nightly-backup expired"


def test_importing_again_reuses_people_and_leaves_existing_things_alone(runtime, factory):
    run_import(runtime, factory)
    before = stored(runtime)
    report = run_import(runtime, factory)
    assert report.created == dict.fromkeys(report.created, 0)
    assert report.reused == {"users": 4, "teams": 1}
    assert report.skipped["schedules"] == report.skipped["escalations"] == report.skipped["heartbeats"] == 1
    after = stored(runtime)
    assert len(after.pop("audit_log")) == len(before.pop("audit_log")) + 1
    assert after == before


@pytest.mark.parametrize(("section", "change", "where"), [
    ("schedules", lambda e: e["schedules"]["data"][0]["rotations"][0]["participants"].append(
        {"type": "user", "username": "ghost@acme.example"}), "schedules[0].rotations[0].participants[3]"),
    ("schedules", lambda e: e["schedules"]["data"][0].update(timezone="Mars/Olympus"), "schedules[0]"),
    ("schedules", lambda e: e["schedules"]["data"][0]["rotations"][1].update(type="monthly"),
     "schedules[0].rotations[1]"),
    ("escalations", lambda e: e["escalations"]["data"][0]["rules"][0]["recipient"].update(type="escalation"),
     "escalations[0].rules[0]"),
    ("heartbeats", lambda e: e["heartbeats"]["data"]["heartbeats"][0].update(intervalUnit="weeks"),
     "heartbeats[0]"),
    ("users", lambda e: e.update(users={"data": "nope"}), "users"),
    ("extra", lambda e: e.update(alerts=[]), "Unknown export sections"),
])
def test_a_problem_anywhere_names_its_place_and_imports_nothing(runtime, factory, section, change, where):
    broken = copy.deepcopy(EXPORT)
    change(broken)
    before = stored(runtime)
    with pytest.raises(importer.ExportProblem) as raised:
        run_import(runtime, factory, broken)
    assert where in raised.value.message
    assert stored(runtime) == before


def test_load_an_export_from_a_directory_of_api_responses(runtime, factory, tmp_path):
    for section, body in EXPORT.items():
        (tmp_path / f"{section}.json").write_text(json.dumps(body))
    export = importer.load_export(tmp_path)
    assert set(export) == set(EXPORT)
    with pytest.raises(importer.ExportProblem):
        importer.load_export(tmp_path / "missing")


def test_admins_import_through_the_api(client, runtime, factory, admin_token):
    bob = factory.token(factory.user("bobby", AccessRole.responder), TokenScope.write)
    before = stored(runtime)
    refused = client.post("/api/v1/integrations/opsgenie/import", json=EXPORT,
                          headers={"Authorization": f"Bearer {bob}"})
    assert refused.status_code == 403
    broken = copy.deepcopy(EXPORT)
    broken["teams"][0]["members"][0]["user"] = {"id": "u-ghost"}
    bad = client.post("/api/v1/integrations/opsgenie/import", json=broken,
                      headers={"Authorization": f"Bearer {admin_token}"})
    assert bad.status_code == 422
    assert "teams[0].members[0]" in bad.json()["detail"]
    assert stored(runtime) == before
    done = client.post("/api/v1/integrations/opsgenie/import", json=EXPORT,
                       headers={"Authorization": f"Bearer {admin_token}"})
    assert done.status_code == 200, done.text
    assert done.json()["created"]["schedules"] == 1
    assert done.json()["warnings"]
