"""`warroom oncall …` and `warroom alert …` against a real server: who is on call, schedules, policies, paging a
team, the engine's pages as delivery records, acknowledge, close, overrides, incidents from alerts."""

from __future__ import annotations

import json


def _paged(people, alert: str) -> list[str]:
    return [d["user"] for d in people.json("vic", "alert", "show", alert)["deliveries"]]


def test_who_is_on_call_schedules_and_policies(people):
    out = people.ok("vic", "oncall", "who", "engineering")
    assert "On call now:" in out
    assert "Engineering primary (engineering): @bob" in out
    assert "@dan" in people.ok("vic", "oncall", "who", "eng-primary", "--at", "2026-03-09T08:00Z")
    everyone = people.json("vic", "oncall", "who")
    assert everyone["on_call"] == [{"schedule": "Engineering primary", "team": "engineering", "users": ["bob"]}]

    listed = people.ok("vic", "oncall", "schedules")
    assert "eng-primary" in listed
    assert "Europe/Berlin" in listed
    shown = people.ok("vic", "oncall", "schedule", "show", "eng-primary", "--days", "14")
    assert "Engineering primary (eng-primary) · Europe/Berlin · team engineering" in shown
    assert "weekly, hand-off 2026-03-02T09:00 — @bob → @dan" in shown
    assert "Mon 2026-03-02 09:00" in shown  # shifts in the schedule's own time
    assert "Mon 2026-03-09 09:00" in shown
    assert json.loads(people.ok("vic", "oncall", "schedule", "show", "eng-primary", "--json"))["timeline"]["shifts"]

    policies = people.ok("vic", "oncall", "policies")
    assert "eng-default: Engineering default · team engineering" in policies
    assert "1. page schedule eng-primary, then wait 5 min for an acknowledgement" in policies
    assert "2. page @alice, then wait 10 min" in policies


def test_page_a_team_then_acknowledge_and_close(people, engine):
    out = people.ok("carol", "alert", "create", "checkout", "is", "down", "--for", "engineering", "--priority", "P2")
    assert "Opened alert #1: checkout is down — paging engineering (P2)" in out

    engine.run_for(6)
    shown = people.ok("vic", "alert", "show", "1")
    assert "#1 [P2] checkout is down" in shown
    assert "Step 1: paged @bob" in shown
    assert "Step 2: paged @alice" in shown
    detail = people.json("vic", "alert", "show", "1")
    assert [(d["user"], d["kind"], d["status"]) for d in detail["deliveries"]] == [
        ("bob", "email", "sent"), ("alice", "email", "sent")]

    assert "Acknowledged alert #1" in people.ok("bob", "alert", "ack", "1", "--note", "on it")
    listed = people.ok("vic", "alert", "list", "--status", "acknowledged")
    assert "checkout is down" in listed
    assert "1 to 1 of 1" in listed
    engine.run_for(60)
    assert _paged(people, "1") == ["bob", "alice"]  # acknowledged: no more pages

    assert "Closed alert #1" in people.ok("bob", "alert", "close", "#1", "--note", "fixed by rollback")
    assert "No alerts match." in people.ok("vic", "alert", "list", "--status", "open", "--status", "acknowledged")
    assert [a["status"] for a in people.json("vic", "alert", "list")["items"]] == ["closed"]
    events = [e["body"] for e in people.json("vic", "alert", "show", "1")["events"]]
    assert "Closed by @bob: fixed by rollback" in events


def test_an_override_moves_the_page(people, engine):
    out = people.ok("dan", "oncall", "override", "eng-primary", "--user", "@dan", "--replaces", "@bob",
                    "--from", "2026-03-02T09:00", "--to", "2026-03-02T18:00")
    assert ("@dan covers for @bob on eng-primary from Mon 2026-03-02 09:00 to Mon 2026-03-02 18:00 "
            "(Europe/Berlin); override #1") in out
    assert "Engineering primary (engineering): @dan" in people.ok("vic", "oncall", "who", "engineering")
    assert "Override #1: @dan for @bob" in people.ok("vic", "oncall", "schedule", "show", "eng-primary")
    people.ok("carol", "alert", "create", "help", "--for", "engineering")
    engine.run_for(0)
    assert _paged(people, "1") == ["dan"]


def test_dedup_note_escalate_reassign_snooze_declare_attach(people, engine):
    assert "Opened alert #1" in people.ok("bob", "alert", "create", "db down", "--for", "engineering",
                                          "--alias", "db-1")
    again = people.ok("bob", "alert", "create", "db down", "--for", "engineering", "--alias", "db-1")
    assert "Alert #1 is already open; counted 2 times" in again
    engine.run_for(0)
    assert _paged(people, "1") == ["bob"]
    assert "Note added to alert #1" in people.ok("bob", "alert", "note", "1", "replica", "lagging")
    assert "Escalating alert #1 now" in people.ok("bob", "alert", "escalate", "1")
    engine.run_for(0)
    assert _paged(people, "1") == ["bob", "alice"]
    moved = people.ok("bob", "alert", "reassign", "1", "--to", "customer-support")
    assert "Reassigned alert #1 to team customer-support" in moved
    engine.run_for(0)
    assert _paged(people, "1") == ["bob", "alice", "carol"]
    assert "Snoozed alert #1 until 2026-03-02 08:30 UTC" in people.ok("carol", "alert", "snooze", "1",
                                                                      "--until", "30m")

    declared = people.ok("bob", "alert", "declare", "1", "--severity", "critical", "--title", "Database down")
    assert "Declared INC-1 (critical): Database down" in declared
    assert "Room: http://warroom.test/incidents/INC-1" in declared
    assert people.json("vic", "alert", "show", "1")["incident"] == "INC-1"

    # Its number is read back: PostgreSQL spends a sequence value on each duplicate above.
    second = str(people.json("bob", "alert", "create", "api errors", "--for", "@dan")["alert"]["id"])
    assert f"Attached alert #{second} to INC-1" in people.ok("bob", "alert", "attach", second, "INC-1")
    listed = people.json("vic", "alert", "list", "--incident", "INC-1")["items"]
    assert [str(a["id"]) for a in listed] == [second, "1"]
    people.ok("dan", "alert", "ack", second)
    assert "open again; escalation restarts" in people.ok("dan", "alert", "unack", second, "--note", "not mine")
