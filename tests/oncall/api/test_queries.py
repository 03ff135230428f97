"""An alert's detail, the alert list and the policy list cost the same queries however many rows they show."""

from __future__ import annotations

from ...api.test_queries import counting


def _queries(runtime, caller, path) -> int:
    caller.get("/users/me")  # settle the token's last-use stamp so every read authenticates alike
    with counting(runtime) as statements:
        assert caller.get(path).status_code == 200
    return len(statements)


def test_an_alert_detail_does_not_grow_with_its_events_and_deliveries(org, on_call, engine, runtime):
    org.as_bob.ok("post", "/alerts", {"message": "db down", "responders": [
        {"type": "schedule", "id": "eng-primary"}, {"type": "team", "id": "engineering"}]}, status=201)
    engine.run_for(0)
    before = _queries(runtime, org.as_vic, "/alerts/1")
    small = org.as_vic.ok("get", "/alerts/1")

    for n in range(10):
        org.as_bob.ok("post", "/alerts/1/notes", {"note": f"look {n}"})
        org.as_bob.ok("post", "/alerts/1/escalate")
        engine.run_for(0)
    org.as_dan.ok("post", "/alerts/1/acknowledge")
    org.as_alice.ok("post", "/alerts/1/close")
    big = org.as_vic.ok("get", "/alerts/1")
    assert len(big["deliveries"]) > len(small["deliveries"]) + 5
    assert len(big["events"]) > len(small["events"]) + 20
    assert (big["acknowledged_by"], big["closed_by"]) == ("dan", "alice")
    assert _queries(runtime, org.as_vic, "/alerts/1") == before


def test_the_alert_list_does_not_grow_with_its_alerts(org, on_call, runtime):
    org.as_bob.ok("post", "/alerts", {"message": "one", "for": "engineering"}, status=201)
    before = _queries(runtime, org.as_vic, "/alerts")
    for n, target in enumerate(["@dan", "customer-support", "alice@example.com", "engineering"] * 3):
        org.as_bob.ok("post", "/alerts", {"message": f"alert {n}", "for": target}, status=201)
    org.as_bob.ok("post", "/alerts", {"message": "policy", "responders": [{"type": "escalation",
                                                                           "id": "eng-default"}]}, status=201)
    org.as_bob.ok("post", "/alerts/3/acknowledge")
    org.as_carol.ok("post", "/alerts/4/close")
    assert org.as_vic.ok("get", "/alerts")["total"] == 14
    assert _queries(runtime, org.as_vic, "/alerts") == before


def test_the_policy_list_does_not_grow_with_its_policies(org, on_call, runtime):
    before = _queries(runtime, org.as_vic, "/escalation-policies")
    for n in range(5):
        org.as_alice.ok("post", "/escalation-policies", {
            "slug": f"p{n}-x", "name": f"P{n}", "steps": [
                {"delay_minutes": n, "targets": [{"type": "user", "id": "@bob"},
                                                 {"type": "team", "id": "engineering"}]},
                {"delay_minutes": 1, "targets": [{"type": "schedule", "id": "eng-primary"}]}]}, status=201)
    assert org.as_vic.ok("get", "/escalation-policies")["total"] == 6
    assert _queries(runtime, org.as_vic, "/escalation-policies") == before
