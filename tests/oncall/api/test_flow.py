"""The on-call flow through the REST API: set up a schedule and a policy, page a team, let the engine escalate
on the fast-forward clock, see every page as a delivery record on the alert, acknowledge, close."""

from __future__ import annotations

from datetime import timedelta

from ...api.conftest import count
from .conftest import paged


def test_page_a_team_escalate_acknowledge_close(org, on_call, engine, runtime):
    out = org.as_carol.ok("post", "/oncall/page", {"description": "checkout is down", "target": "engineering"},
                          status=201)
    assert out == {"message": "Paged team engineering: alert #1", "alert_id": 1, "created": True,
                   "target": "team engineering", "incident": None}
    # The first step pages in the transaction that opens the alert; the engine sends it.
    assert count(runtime, "notifications") == 1

    engine.run_for(4)
    detail = org.as_vic.ok("get", "/alerts/1")
    assert (detail["status"], detail["team"], detail["priority"]) == ("open", "engineering", "P3")
    assert [(d["user"], d["kind"]) for d in detail["deliveries"]] == [("bob", "email")]
    first = detail["deliveries"][0]
    # Without SMTP settings, mail goes to the log sender: sent at once, on the first attempt.
    assert (first["status"], first["attempts"], first["last_error"]) == ("sent", 1, "")
    assert first["sent_at"] is not None
    assert "Step 1: paged @bob" in [e["body"] for e in detail["events"]]

    engine.run_for(1)  # step 1 waits 5 minutes for an acknowledgement, then step 2 pages alice
    assert paged(org.as_vic, 1) == ["bob", "alice"]

    acked = org.as_bob.ok("post", "/alerts/1/acknowledge", {"note": "on it"})
    assert acked["message"] == "Acknowledged alert #1"
    assert (acked["alert"]["status"], acked["alert"]["acknowledged_by"]) == ("acknowledged", "bob")
    engine.run_for(60)
    assert paged(org.as_vic, 1) == ["bob", "alice"]  # acknowledging stopped the escalation

    closed = org.as_bob.ok("post", "/alerts/1/close", {})
    assert (closed["alert"]["status"], closed["alert"]["closed_by"]) == ("closed", "bob")
    events = [(e["kind"], e["actor"]) for e in org.as_vic.ok("get", "/alerts/1")["events"] if e["kind"] != "notified"]
    assert events == [("created", "carol"), ("escalated", None), ("escalated", None), ("acknowledged", "bob"),
                      ("closed", "bob")]
    assert [a["id"] for a in org.as_vic.ok("get", "/alerts?status=closed")["items"]] == [1]
    assert org.as_vic.ok("get", "/alerts?status=open,acknowledged")["total"] == 0


def test_an_unacknowledged_alert_runs_every_step_then_stops(org, on_call, engine):
    org.as_bob.ok("post", "/alerts", {"message": "disk full on db-1", "for": "@engineering"}, status=201)
    engine.run_for(120)
    assert paged(org.as_vic, 1) == ["bob", "alice", "bob"]
    kinds = [e["kind"] for e in org.as_vic.ok("get", "/alerts/1")["events"] if e["kind"] != "notified"]
    assert kinds[-1] == "escalation_finished"


def test_an_alert_for_a_person_pages_that_person(org, on_call, engine):
    raised = org.as_bob.ok("post", "/alerts", {"message": "need a second pair of eyes", "for": "dan@example.com",
                                                "priority": "p2", "tags": ["db", "db"]}, status=201)
    assert raised["message"] == "Opened alert #1: need a second pair of eyes"
    alert = raised["alert"]
    assert (alert["priority"], alert["tags"], alert["team"]) == ("P2", ["db"], None)
    assert alert["responders"] == [{"type": "user", "id": org.dan.id, "name": "dan"}]
    engine.run_for(30)
    assert paged(org.as_vic, 1) == ["dan"]


def test_the_same_alias_counts_up_while_open_and_opens_anew_after_close(org, on_call, engine):
    body = {"message": "api 5xx above 2%", "alias": "api-5xx", "for": "engineering"}
    assert org.as_bob.post("/alerts", body).status_code == 201
    again = org.as_bob.post("/alerts", body)
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["count"], again.json()["alert"]["id"]) == (False, 2, 1)
    assert again.json()["message"] == "Alert #1 is already open; counted 2 times"
    engine.run_for(1)
    assert paged(org.as_vic, 1) == ["bob"]  # one page, however many duplicates
    org.as_bob.ok("post", "/alerts/1/close")
    reopened = org.as_bob.post("/alerts", body)
    assert reopened.status_code == 201
    # A new alert (PostgreSQL spends a sequence value on each ON CONFLICT, so its number may skip).
    assert reopened.json()["alert"]["id"] > 1
    assert reopened.json()["count"] == 1


def test_explicit_responders_and_a_policy_paged_directly(org, on_call, engine):
    org.as_bob.ok("post", "/alerts", {"message": "queue backlog", "responders": [
        {"type": "schedule", "id": "eng-primary"}, {"type": "user", "id": org.carol.id}]}, status=201)
    by_policy = org.as_bob.ok("post", "/alerts", {"message": "replica lag", "responders": [
        {"type": "escalation", "id": "eng-default"}]}, status=201)
    assert by_policy["alert"]["escalation_policy"] == "eng-default"
    engine.run_for(6)
    assert sorted(paged(org.as_vic, 1)) == ["bob", "carol"]
    assert paged(org.as_vic, 2) == ["bob", "alice"]


def test_snooze_escalate_now_unacknowledge_note_and_reassign(org, on_call, engine, clock):
    org.as_carol.ok("post", "/oncall/page", {"description": "login errors", "target": "engineering"}, status=201)
    engine.run_for(1)
    assert paged(org.as_vic, 1) == ["bob"]

    snoozed = org.as_bob.ok("post", "/alerts/1/snooze", {"minutes": 30, "note": "deploy in progress"})
    assert snoozed["alert"]["snoozed_until"] is not None
    engine.run_for(20)
    assert paged(org.as_vic, 1) == ["bob"]  # quiet while snoozed
    engine.run_for(15)
    assert paged(org.as_vic, 1) == ["bob", "alice"]  # resumes where it stood

    assert org.as_bob.ok("post", "/alerts/1/escalate")["message"] == "Escalating alert #1 now"
    engine.run_for(0)
    assert paged(org.as_vic, 1) == ["bob", "alice", "bob"]

    org.as_bob.ok("post", "/alerts/1/acknowledge")
    again = org.as_bob.ok("post", "/alerts/1/acknowledge")
    assert again["message"] == "Alert #1 was already acknowledged"
    assert "open again" in org.as_bob.ok("post", "/alerts/1/unacknowledge", {"note": "not mine"})["message"]
    engine.run_for(0)
    assert paged(org.as_vic, 1)[-1] == "bob"  # escalation restarts from the first step

    org.as_bob.ok("post", "/alerts/1/notes", {"note": "looks like the auth cache"})
    moved = org.as_bob.ok("post", "/alerts/1/reassign", {"to": "@carol"})
    assert moved["message"] == "Reassigned alert #1 to @carol"
    engine.run_for(0)
    assert paged(org.as_vic, 1)[-1] == "carol"

    until = (clock.now() + timedelta(hours=2)).isoformat()
    assert "Snoozed alert #1 until" in org.as_carol.ok("post", "/alerts/1/snooze", {"until": until})["message"]
    kinds = [e["kind"] for e in org.as_vic.ok("get", "/alerts/1")["events"]]
    for kind in ("snoozed", "escalate_now", "acknowledged", "unacknowledged", "note", "reassigned"):
        assert kind in kinds


def test_an_alert_becomes_an_incident_or_joins_one(org, on_call, runtime):
    org.as_bob.ok("post", "/alerts", {"message": "search is down", "description": "all regions",
                                      "for": "engineering"}, status=201)
    declared = org.as_bob.ok("post", "/alerts/1/declare", {"severity": "critical"}, status=201)
    assert declared["message"] == "Declared INC-1 (critical): search is down"
    assert (declared["incident"]["description"], declared["data"]["alert_id"]) == ("all regions", 1)
    assert org.as_vic.ok("get", "/alerts/1")["incident"] == "INC-1"
    refused = org.as_bob.post("/alerts/1/declare", {"severity": "major"})
    assert refused.status_code == 409
    assert "already part of INC-1" in refused.json()["detail"]

    org.as_bob.ok("post", "/alerts", {"message": "search latency", "for": "engineering"}, status=201)
    joined = org.as_bob.ok("post", "/alerts/2/incident", {"incident": "inc-1"})
    assert joined["message"] == "Attached alert #2 to INC-1"
    assert [a["id"] for a in org.as_vic.ok("get", "/alerts?incident=INC-1")["items"]] == [2, 1]

    # Raised inside an incident: its priority follows the incident's severity.
    inside = org.as_bob.ok("post", "/alerts", {"message": "db failover", "for": "engineering",
                                               "incident": "INC-1"}, status=201)
    assert (inside["alert"]["incident"], inside["alert"]["priority"]) == ("INC-1", "P1")


def test_paging_from_an_incident_pages_into_it(org, on_call):
    org.as_bob.ok("post", "/incidents", {"title": "Checkout broken", "severity": "major"}, status=201)
    out = org.as_bob.ok("post", "/oncall/page", {"description": "please help", "target": "customer-support",
                                                 "incident": "INC-1"}, status=201)
    assert (out["incident"], out["target"]) == ("INC-1", "team customer-support")
    bodies = [e["body"] for e in org.as_vic.ok("get", "/incidents/INC-1/timeline")["items"]]
    assert "Paged team customer-support: please help (alert #1)" in bodies
    assert org.as_vic.ok("get", "/alerts/1")["priority"] == "P2"


def test_who_is_on_call_answers_as_genie_does_and_follows_overrides(org, on_call, engine, clock):
    now = org.as_vic.ok("get", "/oncall?target=engineering")
    assert now["message"] == "On call now: Engineering primary (engineering): @bob"
    assert now["on_call"] == [{"schedule": "Engineering primary", "team": "engineering", "users": ["bob"]}]
    genie = org.as_bob.ok("post", "/commands", {"text": "/genie whoisoncall engineering"})
    assert genie["message"] == now["message"]
    everyone = org.as_vic.ok("get", "/oncall")
    assert everyone["on_call"] == now["on_call"]

    next_week = org.as_vic.ok("get", "/oncall?target=eng-primary&at=2026-03-09T08:00:00Z")
    assert next_week["on_call"][0]["users"] == ["dan"]
    assert next_week["message"].startswith("On call at 2026-03-09 08:00 UTC")
    assert org.as_vic.ok("get", "/schedules/eng-primary/on-call")["on_call"][0]["handle"] == "bob"

    start, end = clock.now(), clock.now() + timedelta(hours=8)
    override = org.as_dan.ok("post", "/schedules/eng-primary/overrides", {
        "user": "@dan", "replaces": "@bob", "start_at": start.isoformat(), "end_at": end.isoformat()}, status=201)
    assert (override["user"], override["replaces"]) == ("dan", "bob")
    assert org.as_vic.ok("get", "/oncall?target=engineering")["on_call"][0]["users"] == ["dan"]
    org.as_carol.ok("post", "/oncall/page", {"description": "help", "target": "engineering"}, status=201)
    engine.run_for(0)
    assert paged(org.as_vic, 1) == ["dan"]  # the override moved the page

    assert org.as_dan.ok("delete", f"/schedules/eng-primary/overrides/{override['id']}")["id"] == override["id"]
    assert org.as_vic.ok("get", "/oncall?target=engineering")["on_call"][0]["users"] == ["bob"]


def test_escalating_a_snoozed_alert_still_pages(org, on_call, engine):
    org.as_carol.ok("post", "/oncall/page", {"description": "login errors", "target": "engineering"}, status=201)
    engine.run_for(1)
    org.as_bob.ok("post", "/alerts/1/snooze", {"minutes": 30})
    org.as_bob.ok("post", "/alerts/1/escalate")
    engine.run_for(60)
    assert paged(org.as_vic, 1)[:2] == ["bob", "alice"]
