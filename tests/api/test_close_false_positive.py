"""Closing as a false positive is one step: the why is kept, the postmortem, follow-up and GitHub steps the
handbook does not ask of a false positive are skipped with it, and only the incident lead (any responder while
there is none) or an admin may do it. Through the API and the chat command language."""

from __future__ import annotations

from .conftest import assert_problem, declare, stored

WHY = "the disk alert's threshold was wrong; nothing was down"
NOT_NEEDED = {"github_issues_updated", "postmortem_generated", "retrospective_scheduled", "followups_created"}


def _led_by_bob(team, **fields):
    ref = declare(team.as_bob, **fields)["incident"]["ref"]
    team.as_bob.ok("post", "/commands", {"text": "/incident lead @bob", "incident": ref})
    return ref


def _checklist(team, ref):
    return {c["key"]: c for c in team.as_bob.ok("get", f"/incidents/{ref}")["checklist"]}


def test_an_investigating_incident_closes_as_a_false_positive_in_one_request(team):
    ref = _led_by_bob(team)
    closed = team.as_bob.ok("post", f"/incidents/{ref}/close", {"false_positive": True, "why": WHY})
    assert closed["incident"]["status"] == "closed"
    assert closed["incident"]["is_false_positive"] is True
    assert "closed as a false positive" in closed["message"]

    checklist = _checklist(team, ref)
    for key in NOT_NEEDED:
        assert checklist[key]["state"] == "skipped", checklist[key]
        assert checklist[key]["note"] == f"Not needed for a false positive: {WHY}"
    assert {checklist[k]["state"] for k in ("declared", "roles_identified", "status_closed", "room_archived")} == {
        "done"}
    bodies = [e["body"] for e in team.as_bob.ok("get", f"/incidents/{ref}/timeline", None)["items"]]
    assert f"Resolved as a false positive — {WHY}" in bodies
    assert any(b.startswith("Checklist: skipped “Generate a postmortem") and WHY in b for b in bodies), bodies


def test_why_is_required_and_a_refusal_writes_nothing(team, runtime):
    ref = _led_by_bob(team)
    before = stored(runtime)
    assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {"false_positive": True, "why": "  "}), 422,
                   contains="say why it was a false positive", field="why")
    assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {"why": WHY}), 422,
                   contains="false_positive", field="why")
    assert stored(runtime) == before


def test_only_the_lead_or_an_admin_closes_it_as_a_false_positive(team):
    ref = _led_by_bob(team)
    refused = assert_problem(team.as_carol.post(f"/incidents/{ref}/close", {"false_positive": True, "why": WHY}),
                             403, contains="Only the incident lead (@bob) or an admin")
    assert "/incident lead @carol" in refused["detail"]
    assert_problem(team.as_vic.post(f"/incidents/{ref}/close", {"false_positive": True, "why": WHY}), 403)
    assert team.as_alice.ok("post", f"/incidents/{ref}/close",
                            {"false_positive": True, "why": WHY})["incident"]["status"] == "closed"


def test_any_responder_closes_it_while_there_is_no_lead_and_what_the_handbook_asks_still_blocks(team):
    ref = declare(team.as_carol)["incident"]["ref"]
    refused = assert_problem(team.as_carol.post(f"/incidents/{ref}/close", {"false_positive": True, "why": WHY}),
                             409, contains="cannot close yet")
    assert refused["missing"] == ["roles_identified"]  # incidents always have a lead, false positives too
    assert _checklist(team, ref)["postmortem_generated"]["state"] == "open"  # the refusal rolled back
    team.as_carol.ok("post", "/commands", {"text": "/incident lead @carol", "incident": ref})
    assert team.as_carol.ok("post", f"/incidents/{ref}/close",
                            {"false_positive": True, "why": WHY})["incident"]["status"] == "closed"


def test_customers_told_and_follow_ups_written_keep_their_steps(team):
    ref = _led_by_bob(team, customer_impact=True)
    team.as_bob.ok("post", f"/incidents/{ref}/followups", {"text": "Fix the disk alert's threshold"}, status=201)
    refused = assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {"false_positive": True, "why": WHY}), 409)
    assert set(refused["missing"]) == {"comms_confirmed", "followups_created"}


def test_a_fixed_resolution_becomes_a_false_positive_when_closed_as_one(team):
    ref = _led_by_bob(team)
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {"text": "restarted the disk monitor"})
    closed = team.as_bob.ok("post", f"/incidents/{ref}/close", {"false_positive": True, "why": WHY})
    assert closed["incident"]["is_false_positive"] is True
    bodies = [e["body"] for e in team.as_bob.ok("get", f"/incidents/{ref}/timeline", None)["items"]]
    assert f"Resolution: a false positive — {WHY}" in bodies


def test_the_chat_command_closes_it_as_a_false_positive(team):
    ref = _led_by_bob(team)
    assert_problem(team.as_bob.post("/commands", {"text": "/incident close --false-positive", "incident": ref}),
                   400, contains="--false-positive needs some text")
    said = team.as_bob.ok("post", "/commands", {"text": f"/incident close --false-positive {WHY}", "incident": ref})
    assert said["message"].startswith(f"{ref} closed as a false positive")
    assert "postmortem_generated" in said["message"]
    checklist = _checklist(team, ref)
    assert checklist["followups_created"]["note"] == f"Not needed for a false positive: {WHY}"
