"""The REST API, surface by surface: bob (reporter), sam (security team) and alice (admin) see INC-2;
rita (a responder taking no part) and vic (a viewer) get exactly what a missing incident gives.
"""

from __future__ import annotations

import pytest

from ..api.conftest import assert_problem, count
from .conftest import BLIND, PUBLIC, ROOM_SECRET, SECRET, SEES, participants, private_state, same_but_number, snapshot


@pytest.fixture
def talked(callers, incidents):
    """bob says something in the private room that search could find."""
    callers["bob"].ok("post", "/incidents/INC-2/messages", {"text": ROOM_SECRET}, status=201)
    return incidents


def listed(caller, **params) -> list[str]:
    response = caller.get("/incidents", **params)
    assert response.status_code == 200, response.text
    return [item["ref"] for item in response.json()["items"]]


@pytest.mark.parametrize("who", SEES)
def test_list_and_search_show_the_private_incident_to_those_who_may_see_it(callers, talked, who):
    caller = callers[who]
    assert listed(caller) == ["INC-2", "INC-1"]
    assert caller.get("/incidents").json()["total"] == 2
    assert listed(caller, q="leaked deploy") == ["INC-2"]
    assert listed(caller, q="hunter2") == ["INC-2"]  # a room message
    assert listed(caller, active="true", severity="critical") == ["INC-2"]


@pytest.mark.parametrize("who", BLIND)
def test_list_and_search_leave_it_out_for_everyone_else(callers, talked, who):
    caller = callers[who]
    page = caller.get("/incidents")
    assert page.json()["total"] == 1
    assert listed(caller) == ["INC-1"]
    assert listed(caller, q="leaked deploy") == []
    assert listed(caller, q="hunter2") == []
    assert listed(caller, active="true", severity="critical") == []
    assert SECRET not in page.text


@pytest.mark.parametrize("who", SEES)
def test_detail_timeline_and_participants_for_those_who_may_see_it(callers, talked, who):
    caller = callers[who]
    detail = caller.ok("get", "/incidents/INC-2")
    assert detail["title"] == SECRET and detail["security"] is True
    assert detail["playbooks"] == ["security-disclosure"]
    assert ROOM_SECRET in [e["body"] for e in caller.ok("get", "/incidents/INC-2/timeline")["items"]]
    people = {p["user"]: p["why"] for p in caller.ok("get", "/incidents/INC-2/participants")}
    assert people == {"bob": "reporter", "sam": "security team"}


@pytest.mark.parametrize("who", BLIND)
@pytest.mark.parametrize("path", ["/incidents/{}", "/incidents/{}/timeline", "/incidents/{}/participants"])
def test_detail_timeline_and_participants_are_not_found_for_everyone_else(callers, talked, who, path):
    caller = callers[who]
    hidden = caller.get(path.format("INC-2"))
    missing = caller.get(path.format("INC-99"))
    assert_problem(hidden, 404, contains="No incident INC-2.")
    assert same_but_number(missing.text, hidden.text)
    assert SECRET not in hidden.text
    assert caller.get(path.format("2")).status_code == 404  # by number too


@pytest.mark.parametrize(("who", "open_now", "critical_open"), [
    ("bob", 2, 1), ("sam", 2, 1), ("alice", 2, 1), ("rita", 1, 0), ("vic", 1, 0)])
def test_dashboard_figures_count_a_private_incident_only_for_those_who_may_see_it(callers, talked, who, open_now,
                                                                                  critical_open):
    figures = callers[who].ok("get", "/dashboard/figures")
    assert figures["open_now"] == open_now
    assert figures["open_by_severity"]["critical"] == critical_open
    declared = {(f["window_days"], f["severity"]): f["declared"] for f in figures["figures"]}
    assert declared[(30, "all")] == open_now
    # The drill-down behind the figure lists exactly what was counted.
    assert len(listed(callers[who], active="true")) == open_now


@pytest.mark.parametrize("who", SEES)
def test_the_feed_shows_the_announcement_to_those_who_may_see_it(callers, talked, who):
    feed = callers[who].ok("get", "/announcements")["items"]
    declared = next(a for a in feed if a["incident"] == "INC-2")
    assert declared["text"].startswith(f"New incident INC-2 [critical] {SECRET}")
    assert declared["redacted"] is False


@pytest.mark.parametrize("who", BLIND)
def test_the_feed_shows_everyone_else_only_a_redacted_line(callers, talked, who):
    response = callers[who].get("/announcements")
    feed = response.json()["items"]
    assert [(a["incident"], a["text"], a["redacted"]) for a in feed if a["incident"] == "INC-2"] == [
        ("INC-2", "A private security incident was declared (INC-2)", True)]
    assert any(a["text"].startswith(f"New incident INC-1 [major] {PUBLIC}") for a in feed)
    assert SECRET not in response.text


@pytest.mark.parametrize("text", ["/incident status identified", "/incident update all good",
                                  "/incident invite @rita", "/incident security",
                                  "/genie alert please help for security"])
def test_commands_against_a_private_incident_are_not_found_for_a_non_participant(runtime, callers, talked, text):
    before = snapshot(runtime)
    response = callers["rita"].post("/commands", {"text": text, "incident": "INC-2"})
    assert_problem(response, 404, contains="No incident INC-2.")
    missing = callers["rita"].post("/commands", {"text": text, "incident": "INC-99"})
    assert_problem(missing, 404, contains="No incident INC-99.")
    assert snapshot(runtime) == before


def test_commands_from_a_participant_run(callers, talked):
    out = callers["bob"].ok("post", "/commands", {"text": "/incident status identified", "incident": "INC-2"})
    assert out["message"] == "INC-2 is now identified"


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/incidents/INC-2/messages", {"text": "hello?"}),
    ("post", "/incidents/INC-2/status", {"status": "identified"}),
    ("patch", "/incidents/INC-2", {"security": False}),
    ("post", "/incidents/INC-2/roles", {"role": "lead", "user": "@rita"}),
    ("post", "/incidents/INC-2/participants", {"user": "@rita"}),
    ("post", "/incidents/INC-2/playbooks", {"slug": "roll-back-a-bad-deploy"}),
])
def test_changes_to_a_private_incident_are_not_found_for_a_non_participant(runtime, callers, talked, method, path,
                                                                           body):
    before = snapshot(runtime)
    response = getattr(callers["rita"], method)(path, body)
    assert_problem(response, 404, contains="No incident INC-2.")
    assert snapshot(runtime) == before


def test_flagging_later_through_the_api_makes_it_private_from_then_on(runtime, callers, talked):
    assert "INC-1" in listed(callers["bob"])
    out = callers["rita"].ok("patch", "/incidents/INC-1", {"security": True})
    assert out["incident"]["security"] is True
    assert private_state(runtime, "INC-1")
    assert_problem(callers["bob"].get("/incidents/INC-1"), 404, contains="No incident INC-1.")
    assert "INC-1" not in listed(callers["bob"])
    assert callers["rita"].get("/incidents/INC-1").status_code == 200
    assert callers["sam"].get("/incidents/INC-1").status_code == 200
    # Its earlier announcements are redacted for bob now too.
    feed = callers["bob"].ok("get", "/announcements")["items"]
    assert {a["text"] for a in feed if a["incident"] == "INC-1"} == {
        "A private security incident was declared (INC-1)"}


def test_a_viewer_cannot_flag_and_an_unknown_incident_cannot_be_flagged(runtime, callers, talked):
    before = snapshot(runtime)
    assert_problem(callers["vic"].patch("/incidents/INC-1", {"security": True}), 403, contains="viewer access")
    assert_problem(callers["rita"].patch("/incidents/INC-77", {"security": True}), 404, contains="No incident INC-77")
    assert_problem(callers["rita"].patch("/incidents/INC-1", {"security": "very"}), 422, field="security")
    assert snapshot(runtime) == before


def test_a_participant_adds_someone_recorded_in_the_room_and_the_audit_log(runtime, callers, talked, cast):
    assert callers["erin"].get("/incidents/INC-2").status_code == 404
    out = callers["bob"].ok("post", "/incidents/INC-2/participants", {"user": "@erin"})
    assert out["message"] == "Added @erin to INC-2"
    assert callers["erin"].ok("get", "/incidents/INC-2")["title"] == SECRET
    assert "INC-2" in listed(callers["erin"])
    room = [e for e in callers["erin"].ok("get", "/incidents/INC-2/timeline")["items"] if e["actor"] == "bob"]
    assert room[-1]["body"] == "Added @erin to this private incident"
    audit = callers["alice"].ok("get", "/audit")["items"]
    assert any(a["action"] == "incident.invite" and a["detail"] == {"user": "erin"} for a in audit)
    assert participants(runtime, 2) == {"sam": "security team", "erin": "invited"}
    # Adding her again changes nothing.
    before = snapshot(runtime)
    assert callers["bob"].ok("post", "/incidents/INC-2/participants", {"user": "erin@example.com"})["message"] == (
        "@erin is already part of INC-2")
    assert snapshot(runtime) == before


@pytest.mark.parametrize(("who", "body", "status", "says"), [
    ("bob", {"user": "@ghost"}, 404, "No user '@ghost'"),
    ("bob", {"user": ""}, 422, "Name a person"),
    ("bob", {"user": "@erin", "role": "lead"}, 422, "role"),
    ("vic", {"user": "@erin"}, 403, "viewer access"),
    ("rita", {"user": "@rita"}, 404, "No incident INC-2."),  # one cannot let oneself in
])
def test_bad_invitations_say_what_to_fix_and_write_nothing(runtime, callers, talked, who, body, status, says):
    before = snapshot(runtime)
    assert_problem(callers[who].post("/incidents/INC-2/participants", body), status, contains=says)
    assert snapshot(runtime) == before


def test_paging_into_or_attaching_an_alert_to_a_private_incident_is_not_found_for_a_non_participant(
        runtime, callers, talked):
    rita = callers["rita"]
    own = rita.ok("post", "/oncall/page", {"description": "disk full", "target": "@erin"}, status=201)
    before = snapshot(runtime)
    for incident in ("INC-2", "INC-99"):
        assert_problem(rita.post("/oncall/page", {"description": "help", "target": "security", "incident": incident}),
                       404, contains=f"No incident {incident}.")
        assert_problem(rita.post(f"/alerts/{own['alert_id']}/incident", {"incident": incident}), 404,
                       contains=f"No incident {incident}")
    assert snapshot(runtime) == before
    paged = callers["bob"].ok("post", "/oncall/page", {"description": "help", "target": "security",
                                                       "incident": "INC-2"}, status=201)
    assert paged["incident"] == "INC-2"


def test_alerts_filtered_by_or_raised_into_a_private_incident_are_not_found_for_others(callers, talked, runtime):
    assert callers["bob"].get("/alerts", incident="INC-2").status_code == 200
    for who in BLIND:
        hidden = callers[who].get("/alerts", incident="INC-2")
        assert_problem(hidden, 404, contains="No incident INC-2.")
    before = count(runtime, "alerts")
    raised = callers["rita"].post("/alerts", json={"message": "disk full", "for": "engineering",
                                                   "incident": "INC-2"})
    assert_problem(raised, 404, contains="No incident INC-2.")
    assert count(runtime, "alerts") == before  # nothing written
    made = callers["rita"].ok("post", "/alerts", {"message": "disk full", "for": "engineering"}, status=201)
    attached = callers["rita"].post(f"/alerts/{made['alert']['id']}/incident", json={"incident": "INC-2"})
    assert_problem(attached, 404, contains="No incident INC-2.")
