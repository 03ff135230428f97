"""Escalation policies through the API: ordered steps, repeat, one per team, audited, refused while in use."""

from __future__ import annotations

from ...api.conftest import assert_problem
from .conftest import POLICY


def _replace(caller, **changes):
    body = {k: v for k, v in POLICY.items() if k != "slug"} | changes
    return caller.ok("put", "/escalation-policies/eng-default", body)


def test_a_policy_reads_back_with_its_steps_in_order(org, on_call):
    policy = org.as_vic.ok("get", "/escalation-policies/eng-default")
    assert (policy["name"], policy["team"], policy["repeat"]) == ("Engineering default", "engineering", 0)
    assert [(s["position"], s["delay_minutes"], [(t["type"], t["name"]) for t in s["targets"]])
            for s in policy["steps"]] == [
        (1, 5, [("schedule", "eng-primary")]), (2, 10, [("user", "alice")]), (3, 10, [("schedule", "eng-primary")])]
    assert org.as_vic.ok("get", f"/escalation-policies/{policy['id']}")["slug"] == "eng-default"
    assert [p["slug"] for p in org.as_vic.ok("get", "/escalation-policies")["items"]] == ["eng-default"]


def test_put_replaces_the_steps_and_escalation_follows(org, on_call, engine):
    changed = _replace(org.as_alice, repeat=2, steps=[
        {"delay_minutes": 0, "targets": [{"type": "user", "id": "dan"}, {"type": "user", "id": org.dan.id}]},
        {"delay_minutes": 1440, "targets": [{"type": "team", "id": "customer-support"}]}])
    assert changed["repeat"] == 2
    assert [[t["name"] for t in s["targets"]] for s in changed["steps"]] == [["dan"], ["customer-support"]]
    org.as_carol.ok("post", "/oncall/page", {"description": "help", "target": "engineering"}, status=201)
    engine.run_for(1)
    # Step 1 waits 0 minutes: dan, then the team (customer-support has no schedule: every member).
    assert [d["user"] for d in org.as_vic.ok("get", "/alerts/1")["deliveries"]] == ["dan", "carol"]


def test_a_team_has_one_policy_and_slugs_are_unique(org, on_call):
    second = {**POLICY, "slug": "eng-backup"}
    assert_problem(org.as_alice.post("/escalation-policies", second), 409, contains="already has escalation policy",
                   field="team")
    assert_problem(org.as_alice.post("/escalation-policies", {**POLICY, "team": None}), 409,
                   contains="already exists", field="slug")
    other = org.as_alice.ok("post", "/escalation-policies", {**second, "team": "customer-support"}, status=201)
    assert other["team"] == "customer-support"


def test_removing_a_policy_an_open_alert_runs_is_refused(org, on_call):
    org.as_bob.ok("post", "/alerts", {"message": "replica lag", "responders": [
        {"type": "escalation", "id": "eng-default"}]}, status=201)
    assert_problem(org.as_alice.delete("/escalation-policies/eng-default"), 409, contains="open alerts (#1)")
    org.as_bob.ok("post", "/alerts/1/close")
    removed = org.as_alice.ok("delete", "/escalation-policies/eng-default")
    assert (removed["slug"], len(removed["steps"])) == ("eng-default", 3)
    assert org.as_vic.ok("get", "/escalation-policies")["total"] == 0
    actions = [e["action"] for e in org.as_alice.ok("get", "/audit?limit=200")["items"]]
    for action in ("escalation_policy.create", "escalation_policy.remove"):
        assert action in actions


def test_changes_are_audited_with_their_steps(org, on_call):
    _replace(org.as_alice, name="Engineering")
    entry = next(e for e in org.as_alice.ok("get", "/audit?limit=200")["items"]
                 if e["action"] == "escalation_policy.update")
    assert entry["detail"]["after"]["name"] == "Engineering"
    assert entry["detail"]["steps"][1] == {"delay_minutes": 10, "targets": ["@alice"]}
