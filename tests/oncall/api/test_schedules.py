"""Schedules through the API: create, read, change, layers, overrides, the coming weeks and .ics feeds."""

from __future__ import annotations

from ...api.conftest import assert_problem
from .conftest import POLICY


def _audit_actions(caller):
    return [e["action"] for e in caller.ok("get", "/audit?limit=200")["items"]]


def test_a_schedule_reads_back_as_it_was_written(org, on_call):
    listed = org.as_vic.ok("get", "/schedules")
    assert listed["total"] == 1
    assert listed["items"][0] == {"id": 1, "slug": "eng-primary", "name": "Engineering primary",
                                  "time_zone": "Europe/Berlin", "team": "engineering", "description": ""}
    assert org.as_vic.ok("get", "/schedules?team=engineering")["total"] == 1
    assert org.as_vic.ok("get", "/schedules?team=customer-support")["total"] == 0
    detail = org.as_vic.ok("get", "/schedules/eng-primary")
    assert [(la["rotation"], la["participants"], la["handoff_local"]) for la in detail["layers"]] == [
        ("weekly", ["bob", "dan"], "2026-03-02T09:00")]
    assert detail["overrides"] == []
    assert org.as_vic.ok("get", "/schedules/1")["slug"] == "eng-primary"  # by id too


def test_changing_a_schedule_and_its_layers(org, on_call):
    changed = org.as_alice.ok("patch", "/schedules/eng-primary", {"time_zone": "america/new_york",
                                                                  "description": "the first line"})
    assert (changed["time_zone"], changed["description"], changed["team"]) == (
        "America/New_York", "the first line", "engineering")
    assert org.as_alice.ok("patch", "/schedules/eng-primary", {"team": None})["team"] is None

    layer_id = on_call["layer"]["id"]
    layer = org.as_alice.ok("patch", f"/schedules/eng-primary/layers/{layer_id}",
                            {"participants": ["@dan", "@bob"], "name": "Primary"})
    assert (layer["participants"], layer["name"]) == (["dan", "bob"], "Primary")
    second = org.as_alice.ok("post", "/schedules/eng-primary/layers", {
        "name": "Business hours", "rotation": "daily", "handoff_local": "2026-03-02T09:00",
        "participants": ["@alice"], "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]},
        status=201)
    assert second["restrictions"] == [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]
    assert len(org.as_vic.ok("get", "/schedules/eng-primary")["layers"]) == 2
    removed = org.as_alice.ok("delete", f"/schedules/eng-primary/layers/{second['id']}")
    assert (removed["id"], removed["name"]) == (second["id"], "Business hours")
    assert len(org.as_vic.ok("get", "/schedules/eng-primary")["layers"]) == 1
    actions = _audit_actions(org.as_alice)
    for action in ("schedule.create", "schedule.update", "schedule.layer.add", "schedule.layer.update",
                   "schedule.layer.remove"):
        assert action in actions


def test_the_coming_weeks_and_calendar_feeds(org, on_call):
    timeline = org.as_vic.ok("get", "/schedules/eng-primary/timeline?days=14")
    assert [s["user"] for s in timeline["shifts"]] == ["bob", "dan"]
    assert timeline["shifts"][0]["start"].startswith("2026-03-02T08:00")
    assert timeline["shifts"][1]["start"].startswith("2026-03-09T08:00")
    assert [row["name"] for row in timeline["layers"]] == ["Layer 1"]
    later = org.as_vic.ok("get", "/schedules/eng-primary/timeline?from=2026-03-30T00:00:00Z&days=1")
    assert later["shifts"][0]["user"] == "dan"  # Berlin's DST week is dan's, up to Monday 09:00 CEST

    ics = org.as_vic.get("/schedules/eng-primary/calendar.ics?days=14")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.text.count("BEGIN:VEVENT") == 2
    assert "@bob is on call for Engineering primary" in ics.text
    mine = org.as_vic.get("/users/dan/on-call.ics?days=14")
    assert mine.status_code == 200
    assert mine.text.count("BEGIN:VEVENT") == 1


def test_a_schedule_a_policy_pages_cannot_be_removed_until_the_policy_stops(org, on_call, runtime):
    refused = org.as_alice.delete("/schedules/eng-primary")
    assert_problem(refused, 409, contains="paged by escalation policy eng-default")
    steps = [{"delay_minutes": 5, "targets": [{"type": "user", "id": "@alice"}]}]
    org.as_alice.ok("put", "/escalation-policies/eng-default",
                    {k: v for k, v in POLICY.items() if k != "slug"} | {"steps": steps})
    assert org.as_alice.ok("delete", "/schedules/eng-primary")["slug"] == "eng-primary"
    assert org.as_vic.ok("get", "/schedules")["total"] == 0
    assert "schedule.remove" in _audit_actions(org.as_alice)


def test_overrides_by_a_responder(org, on_call, clock):
    body = {"user": "carol@example.com", "start_at": "2026-03-03T08:00:00Z", "end_at": "2026-03-03T20:00:00Z"}
    override = org.as_carol.ok("post", "/schedules/eng-primary/overrides", body, status=201)
    assert (override["user"], override["replaces"]) == ("carol", None)
    shown = org.as_vic.ok("get", "/schedules/eng-primary")["overrides"]
    assert [o["id"] for o in shown] == [override["id"]]
    at = org.as_vic.ok("get", "/schedules/eng-primary/on-call?at=2026-03-03T12:00:00Z")
    assert [p["handle"] for p in at["on_call"]] == ["carol"]
    assert org.as_carol.ok("delete", f"/schedules/eng-primary/overrides/{override['id']}")["user"] == "carol"
    assert org.as_vic.ok("get", "/schedules/eng-primary")["overrides"] == []
