"""The handbook's whole incident lifecycle through the REST API, and again through POST /commands."""

from __future__ import annotations

from datetime import timedelta

from .conftest import assert_problem, declare, stored

EXPECTED_MISSING = {"comms_confirmed", "github_issues_updated", "postmortem_generated", "followups_created"}


def test_the_whole_lifecycle_through_the_api(team, factory, clock, runtime):
    factory.playbooks()
    api = team.as_bob

    # Declare: critical, customer impact; the room gets the handbook's reminders, playbooks are suggested.
    declared = declare(api, title="Search returns errors after deploy", customer_impact=True,
                       affected_services=["search", "api"], description="Customers see 500s on search.")
    incident = declared["incident"]
    ref = incident["ref"]
    assert ref == "INC-1"
    assert declared["message"] == "Declared INC-1 (critical): Search returns errors after deploy"
    assert incident["status"] == "investigating"
    assert incident["severity"] == "critical"
    assert incident["customer_impact"] is True
    assert incident["affected_services"] == ["api", "search"]
    assert incident["lead"] is None
    assert incident["url"] == "http://warroom.test/incidents/INC-1"
    assert "roll-back-a-bad-deploy" in declared["data"]["suggested_playbooks"]
    assert any("messenger" in step for step in declared["data"]["next_steps"])

    # Lead, then the lead's own "I'm on it", then a messenger from customer support.
    clock.advance(timedelta(minutes=3))
    led = api.ok("post", f"/incidents/{ref}/roles", {"role": "lead", "user": "@bob"})
    assert led["incident"]["lead"] == "bob"
    assert led["message"] == "@bob is the incident lead of INC-1"
    acked = api.ok("post", f"/incidents/{ref}/acknowledge", {})
    assert acked["incident"]["acknowledged_at"] is not None
    messenger = api.ok("post", f"/incidents/{ref}/roles", {"role": "messenger", "user": "carol"})
    assert messenger["warnings"] == []

    # Plans, attempts, the summary and a message in the room.
    api.ok("post", f"/incidents/{ref}/updates", {"kind": "plan", "text": "roll back the search release"})
    tried = api.ok("post", f"/incidents/{ref}/updates",
                   {"kind": "tried", "text": "rolling back to 4.1", "result": "errors stopped"})
    assert tried["message"] == "Update posted to INC-1"
    summary = api.ok("put", f"/incidents/{ref}/summary", {"summary": "Release 4.2 broke the quokka index."})
    assert summary["incident"]["summary"] == "Release 4.2 broke the quokka index."
    message = api.ok("post", f"/incidents/{ref}/messages", {"text": "Watching the graphs"}, status=201)
    assert message["kind"] == "message"
    assert message["actor"] == "bob"

    # Status, severity, resolve.
    identified = api.ok("post", f"/incidents/{ref}/status", {"status": "identified", "text": "bad index"})
    assert identified["incident"]["status"] == "identified"
    api.ok("post", f"/incidents/{ref}/status", {"status": "monitoring"})
    lowered = api.ok("put", f"/incidents/{ref}/severity", {"severity": "major"})
    assert lowered["incident"]["severity"] == "major"
    clock.advance(timedelta(minutes=30))
    resolved = api.ok("post", f"/incidents/{ref}/resolve", {"text": "No errors for 30 minutes"})
    assert resolved["incident"]["status"] == "resolved"
    assert resolved["incident"]["resolution"] == "fixed"

    # Closing waits for the post-resolution checklist; the refusal names each open step and writes nothing.
    before = stored(runtime)
    refused = assert_problem(api.post(f"/incidents/{ref}/close", {}), 409, contains="cannot close yet")
    assert set(refused["missing"]) == EXPECTED_MISSING
    assert stored(runtime) == before

    api.ok("put", f"/incidents/{ref}/checklist/comms_confirmed", {"state": "done"})
    api.ok("put", f"/incidents/{ref}/checklist/postmortem_generated", {"state": "done", "note": "in Drive"})
    api.ok("put", f"/incidents/{ref}/checklist/github_issues_updated",
           {"state": "skipped", "note": "no public issue was filed"})
    api.ok("put", f"/incidents/{ref}/checklist/followups_created", {"state": "done"})
    closed = api.ok("post", f"/incidents/{ref}/close", {})
    assert closed["message"] == "INC-1 closed and its room archived"
    assert closed["incident"]["status"] == "closed"
    assert closed["incident"]["closed_at"] is not None
    assert closed["incident"]["archived_at"] is not None

    # The archived room is read-only.
    before = stored(runtime)
    assert_problem(api.post(f"/incidents/{ref}/messages", {"text": "one more thing"}), 409, contains="archived")
    assert stored(runtime) == before

    # The detail shows roles, the settled checklist and who settled it.
    detail = api.ok("get", f"/incidents/{ref}")
    assert detail["lead"] == "bob"
    assert [(r["role"], r["user"]) for r in detail["roles"]] == [("lead", "bob"), ("messenger", "carol")]
    assert detail["roles"][0]["acknowledged_at"] is not None
    checklist = {item["key"]: item for item in detail["checklist"]}
    assert checklist["github_issues_updated"]["state"] == "skipped"
    assert checklist["github_issues_updated"]["note"] == "no public issue was filed"
    assert checklist["comms_confirmed"]["done_by"] == "bob"
    assert checklist["room_archived"]["state"] == "done"
    assert detail["playbooks"] == []

    # The timeline tells the story in order.
    kinds = [e["kind"] for e in api.ok("get", f"/incidents/{ref}/timeline?limit=200")["items"]]
    story = ["declared", "role_assigned", "role_acknowledged", "role_assigned", "update", "update",
             "summary_changed", "message", "status_changed", "status_changed", "severity_changed", "resolved",
             "closed", "archived"]
    assert [k for k in kinds if k in set(story)] == story

    # The dashboard finds it by words from its summary and by every filter it matches.
    _assert_found(api, ref, q="quokka", status="closed", severity="major", lead="bob", customer_impact="true",
                  false_positive="false", active="false", **{"from": "2026-01-05", "to": "2026-01-06"})
    _assert_found(api, ref, q="watching the GRAPHS")  # room messages are searched too
    _assert_not_found(api, q="quokka", status="investigating")
    _assert_not_found(api, q="quokka", lead="carol")
    _assert_not_found(api, q="quokka", **{"from": "2026-01-06"})
    _assert_not_found(api, q="nothing like this")

    kinds = [a["kind"] for a in api.ok("get", "/announcements")["items"]]
    assert kinds == ["closed", "resolved", "severity_changed", "status_changed", "status_changed",
                     "lead_assigned", "declared"]


def _assert_found(api, ref, **params):
    response = api.get("/incidents", **params)
    assert response.status_code == 200, response.text
    assert [i["ref"] for i in response.json()["items"]] == [ref]
    assert response.json()["total"] == 1


def _assert_not_found(api, **params):
    response = api.get("/incidents", **params)
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}


def _command(api, text, incident=None, status=200):
    response = api.post("/commands", {"text": text, "incident": incident})
    assert response.status_code == status, response.text
    return response.json()


def test_the_whole_lifecycle_through_commands(team, runtime):
    api = team.as_bob
    declared = _command(api, "/incident declare Checkout fails for everyone --severity critical --customer-impact")
    ref = declared["incident"]
    assert ref == "INC-1"
    assert declared["message"] == "Declared INC-1 (critical): Checkout fails for everyone"

    assert _command(api, "/incident lead @bob", ref)["message"] == "@bob is the incident lead of INC-1"
    assert "I'm on it" in _command(api, "/incident ack", ref)["message"]
    assert _command(api, "/incident messenger @carol", ref)["warnings"] == []
    _command(api, "/incident plan roll back the payment gateway", ref)
    _command(api, "/incident tried restarting the workers --result no change", ref)
    _command(api, "/incident summary Gateway 7.3 rejects every card", ref)
    assert _command(api, "/incident status identified the gateway release", ref)["message"] == \
        "INC-1 is now identified"
    _command(api, "/incident status monitoring", ref)
    assert _command(api, "/incident severity major", ref)["message"] == "INC-1 is now major"
    _command(api, "/incident resolve rolled back to 7.2", ref)

    before = stored(runtime)
    refused = assert_problem(api.post("/commands", {"text": "/incident close", "incident": ref}), 409)
    assert set(refused["missing"]) == EXPECTED_MISSING
    assert refused["usage"].startswith("/incident close")
    assert stored(runtime) == before

    _command(api, "/incident tick comms_confirmed", ref)
    _command(api, "/incident tick postmortem_generated", ref)
    _command(api, "/incident tick followups_created", ref)
    _command(api, "/incident skip github_issues_updated nothing public", ref)
    assert _command(api, "/incident close", ref)["message"] == "INC-1 closed and its room archived"

    before = stored(runtime)
    assert_problem(api.post("/commands", {"text": "/incident update still fine", "incident": ref}), 409,
                   contains="archived")
    assert_problem(api.post(f"/incidents/{ref}/messages", {"text": "hello?"}), 409, contains="archived")
    assert stored(runtime) == before

    incident = api.ok("get", f"/incidents/{ref}")
    assert incident["status"] == "closed"
    assert incident["severity"] == "major"
    assert incident["summary"] == "Gateway 7.3 rejects every card"
    assert [(r["role"], r["user"]) for r in incident["roles"]] == [("lead", "bob"), ("messenger", "carol")]
    _assert_found(api, ref, q="rejects every card", status="closed", lead="bob", customer_impact="true")
    updates = [e["body"] for e in api.ok("get", f"/incidents/{ref}/timeline")["items"] if e["kind"] == "update"]
    assert updates == ["I plan to roll back the payment gateway",
                       "We tried restarting the workers, which resulted in no change"]


def test_help_is_open_to_viewers(team):
    answer = _command(team.as_vic, "/incident help")
    assert "/incident declare" in answer["message"]
    assert answer["incident"] is None


def test_a_false_positive_is_kept_and_counted(team, clock):
    api = team.as_bob
    ref = declare(api, title="Latency alarm on search", severity="critical")["incident"]["ref"]
    clock.advance(timedelta(minutes=4))
    api.ok("post", f"/incidents/{ref}/roles", {"role": "lead", "user": "@bob"})
    api.ok("post", f"/incidents/{ref}/acknowledge")
    real = declare(api, title="Billing emails not sent", severity="major")["incident"]["ref"]
    clock.advance(timedelta(minutes=16))
    resolved = api.ok("post", f"/incidents/{ref}/resolve", {"false_positive": True, "text": "a broken probe"})
    assert "false positive" in resolved["message"]
    assert resolved["incident"]["resolution"] == "false_positive"
    assert resolved["incident"]["is_false_positive"] is True

    figures = api.ok("get", "/dashboard/figures")
    assert figures["open_now"] == 1
    assert figures["open_by_severity"] == {"critical": 0, "major": 1}
    by_window = {(f["window_days"], f["severity"]): f for f in figures["figures"]}
    assert by_window[(30, "all")]["declared"] == 2
    assert by_window[(30, "all")]["false_positives"] == 1
    assert by_window[(30, "critical")]["false_positives"] == 1
    assert by_window[(90, "major")]["false_positives"] == 0
    assert by_window[(30, "critical")]["mtta_seconds"] == 4 * 60
    assert by_window[(30, "critical")]["mttr_seconds"] == 20 * 60
    assert by_window[(30, "major")]["mttr_seconds"] is None

    _assert_found(api, ref, false_positive="true")
    _assert_found(api, real, false_positive="false")


def test_an_admin_closes_with_open_steps_and_the_reason_is_audited(team, runtime):
    ref = declare(team.as_bob, title="Status page stale")["incident"]["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {})
    reason = "Duplicate of INC-0 in the old tracker; its postmortem covers this"

    before = stored(runtime)
    assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {"reason": reason}), 403, contains="only an admin")
    assert stored(runtime) == before

    closed = team.as_alice.ok("post", f"/incidents/{ref}/close", {"reason": reason})
    assert closed["incident"]["status"] == "closed"
    entries = team.as_alice.ok("get", "/audit")["items"]
    close = next(e for e in entries if e["action"] == "incident.close")
    assert close["detail"] == {"override": True, "reason": reason}
    assert close["actor_id"] == team.alice.id
    assert close["target_id"] == ref
    assert close["via"].startswith("api-token:")
    system_notes = [e["body"] for e in team.as_bob.ok("get", f"/incidents/{ref}/timeline")["items"]
                    if e["kind"] == "system"]
    assert any(reason in note for note in system_notes)


def test_a_messenger_outside_support_is_warned_not_refused(team):
    ref = declare(team.as_bob)["incident"]["ref"]
    outcome = team.as_bob.ok("post", f"/incidents/{ref}/roles", {"role": "messenger", "user": "@bob"})
    assert len(outcome["warnings"]) == 2
    assert "customer" in outcome["warnings"][0]


def test_details_change_and_playbooks_attach(team, factory):
    factory.playbooks()
    api = team.as_bob
    ref = declare(api, title="Login fails")["incident"]["ref"]
    changed = api.ok("patch", f"/incidents/{ref}", {"title": "SSO login fails", "security": True,
                                                   "affected_services": ["sso"]})
    assert changed["incident"]["title"] == "SSO login fails"
    assert changed["incident"]["security"] is True
    assert changed["incident"]["affected_services"] == ["sso"]
    attached = api.ok("post", f"/incidents/{ref}/playbooks", {"slug": "sign-in-broken"})
    assert "4 steps" in attached["message"]
    detail = api.ok("get", f"/incidents/{ref}")
    # Flagging it as security attached the security-disclosure playbook first.
    assert sorted(detail["playbooks"]) == ["security-disclosure", "sign-in-broken"]
    assert [i["key"] for i in detail["checklist"] if i["phase"] == "playbook"] == [
        *(f"security-disclosure-{n}" for n in range(1, 6)), *(f"sign-in-broken-{n}" for n in range(1, 5))]
    assert_problem(api.post(f"/incidents/{ref}/playbooks", {"slug": "sign-in-broken"}), 409,
                   contains="already attached")


def test_pinning_marks_a_key_event(team):
    api = team.as_bob
    ref = declare(api)["incident"]["ref"]
    entry = api.ok("post", f"/incidents/{ref}/messages", {"text": "Root cause: expired certificate"}, status=201)
    pinned = api.ok("put", f"/incidents/{ref}/pins/{entry['id']}")
    assert pinned["message"] == f"Pinned entry #{entry['id']}"
    items = api.ok("get", f"/incidents/{ref}/timeline")["items"]
    assert next(e for e in items if e["id"] == entry["id"])["pinned"] is True
    api.ok("delete", f"/incidents/{ref}/pins/{entry['id']}")
    items = api.ok("get", f"/incidents/{ref}/timeline")["items"]
    assert next(e for e in items if e["id"] == entry["id"])["pinned"] is False
    assert_problem(api.put(f"/incidents/{ref}/pins/99999"), 404)
