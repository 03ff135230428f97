"""Every form in the room's side panel: its happy path, and its error path writing nothing.

Each is posted as a plain form (redirect back to the room) and, where it matters, as the page
script's fetch (JSON), since both run the same code.
"""

from __future__ import annotations

import pytest
from markupsafe import escape

from warroom.checklists import service as checklists
from warroom.checklists.models import ItemState
from warroom.incidents import flows
from warroom.incidents import service as incidents
from warroom.incidents.models import Resolution, Severity, Status
from warroom.roles import service as roles
from warroom.runtime import Runtime
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

from .conftest import counts


@pytest.fixture
def room(factory, people):
    """INC-1, declared by bob with customer impact; the playbooks are loaded."""
    factory.playbooks()
    return factory.incident(people.bob, title="Checkout fails after deploy", customer_impact=True,
                            affected_services=["api"])


def state(runtime: Runtime):
    with runtime.database.reading() as db:
        incident = incidents.get_incident(db=db, ref="INC-1")
        holders = {a.role: (u.handle, a.acknowledged_at is not None) for a, u in roles.holders(db=db, incident_id=1)}
        items = {i.key: (i.state, i.note) for i in checklists.list_items(db=db, incident_id=1)}
        entries = timeline.list_entries(db=db, incident_id=1, limit=1000)
    return incident, holders, items, entries


def refused(user, runtime, path, data, status, message):
    """Post a form that must be refused: the error is shown and nothing is written."""
    before = counts(runtime)
    page = user.post(path, data)
    assert page.status_code == status, page.text[:300]
    assert str(escape(message)) in page.text
    assert "Not done: " in page.text  # at the top, where it is seen on any screen
    fetched = user.post(path, data, fetch=True)
    assert fetched.status_code == status
    assert message in fetched.json()["error"]
    assert counts(runtime) == before


def test_assign_lead_messenger_and_a_custom_role(browser, people, room, runtime):
    alice = browser(people.alice)
    response = alice.post("/incidents/INC-1/roles", {"role": "lead", "who": "@bob"})
    assert response.status_code == 303
    assert response.headers["location"] == "/incidents/INC-1#panel"
    page = alice.get("/incidents/INC-1")
    assert "@bob is the incident lead of INC-1" in page.text.split('id="panel-notice"')[1]
    reply = alice.post("/incidents/INC-1/roles", {"role": "messenger", "who": "carol"}, fetch=True).json()
    assert reply == {"ok": True, "message": "@carol is the messenger of INC-1", "warnings": [], "link": ""}
    alice.post("/incidents/INC-1/roles", {"role": "other", "role_name": "Scribe", "who": "@alice"})
    _, holders, items, _ = state(runtime)
    assert holders == {"lead": ("bob", False), "messenger": ("carol", False), "scribe": ("alice", False)}
    assert items["roles_identified"][0] is ItemState.done
    assert "Thank you @bob" not in page.text  # bob reported and leads: nobody else to thank


def test_a_messenger_outside_customer_support_is_warned_not_refused(browser, people, room, runtime):
    reply = browser(people.alice).post("/incidents/INC-1/roles", {"role": "messenger", "who": "@bob"},
                                       fetch=True).json()
    assert reply["ok"] is True
    assert any("customer support" in w for w in reply["warnings"])
    page = browser(people.alice).post("/incidents/INC-1/roles", {"role": "messenger", "who": "@bob"})
    assert page.status_code == 303


def test_assigning_an_unknown_person_or_a_nameless_role_is_refused(browser, people, room, runtime):
    alice = browser(people.alice)
    refused(alice, runtime, "/incidents/INC-1/roles", {"role": "lead", "who": "@nobody"}, 404, "No user '@nobody'")
    refused(alice, runtime, "/incidents/INC-1/roles", {"role": "other", "role_name": " ", "who": "@bob"}, 422,
            "Name the role you are assigning")
    page = alice.post("/incidents/INC-1/roles", {"role": "lead", "who": "@nobody"})
    assert 'value="@nobody"' in page.text  # what was typed stays in the form, which is open
    assert '<details id="d-roles" open>' in page.text


def test_the_holder_acknowledges_with_im_on_it(browser, people, room, runtime):
    browser(people.alice).post("/incidents/INC-1/roles", {"role": "lead", "who": "@bob"})
    bob = browser(people.bob)
    page = bob.get("/incidents/INC-1")
    assert "I'm on it</button>" in page.text
    assert "I'm on it</button>" not in browser(people.alice).get("/incidents/INC-1").text
    assert bob.post("/incidents/INC-1/acknowledge", {"role": "lead"}).status_code == 303
    incident, holders, _, entries = state(runtime)
    assert holders["lead"] == ("bob", True)
    assert incident.acknowledged_at is not None
    assert entries[-1].kind is EntryKind.role_acknowledged
    assert "I'm on it</button>" not in bob.get("/incidents/INC-1").text


def test_only_the_holder_can_acknowledge(browser, people, room, runtime):
    browser(people.alice).post("/incidents/INC-1/roles", {"role": "lead", "who": "@bob"})
    refused(browser(people.carol), runtime, "/incidents/INC-1/acknowledge", {"role": "lead"}, 403,
            "Only the incident lead (@bob) acknowledges")


def test_status_change_with_a_note(browser, people, room, runtime):
    bob = browser(people.bob)
    assert bob.post("/incidents/INC-1/status", {"status": "identified", "text": "Bad config push"}).status_code == 303
    incident, _, _, entries = state(runtime)
    assert incident.status is Status.identified
    assert entries[-1].body == "Status: investigating → identified — Bad config push"


def test_an_unknown_status_is_refused(browser, people, room, runtime):
    refused(browser(people.bob), runtime, "/incidents/INC-1/status", {"status": "panicking"}, 422,
            "Unknown status 'panicking'")


def test_summary_is_kept_current(browser, people, room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/summary", {"summary": "Config push broke checkout; rolling back."})
    assert state(runtime)[0].summary == "Config push broke checkout; rolling back."
    assert "Config push broke checkout; rolling back." in bob.get("/incidents/INC-1/panel").text
    refused(bob, runtime, "/incidents/INC-1/summary", {"summary": ""}, 422, "The summary cannot be empty.")


def test_structured_updates_plan_and_tried(browser, people, room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/updates", {"kind": "plan", "text": "roll back to 4.1"})
    bob.post("/incidents/INC-1/updates", {"kind": "tried", "text": "rolling back", "result": "errors stopped"})
    entries = state(runtime)[3]
    assert [e.body for e in entries[-2:]] == ["I plan to roll back to 4.1",
                                              "We tried rolling back, which resulted in errors stopped"]
    page = bob.get("/incidents/INC-1")
    assert "entry--update entry--plan" in page.text and "entry--update entry--tried" in page.text


def test_tried_without_a_result_is_refused(browser, people, room, runtime):
    bob = browser(people.bob)
    refused(bob, runtime, "/incidents/INC-1/updates", {"kind": "tried", "text": "restarting", "result": ""},
            422, "Say what trying it resulted in")
    page = bob.post("/incidents/INC-1/updates", {"kind": "tried", "text": "restarting", "result": ""})
    assert '<details id="d-tried" open>' in page.text
    assert 'value="restarting"' in page.text


def test_severity_change(browser, people, room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/severity", {"severity": "major"})
    assert state(runtime)[0].severity is Severity.major
    refused(bob, runtime, "/incidents/INC-1/severity", {"severity": "minor"}, 422, "normal support/feedback process")


def test_resolve_as_false_positive_then_not_twice(browser, people, room, runtime):
    bob = browser(people.bob)
    assert bob.post("/incidents/INC-1/resolve", {"text": "Monitoring glitch", "false_positive": "1"}).status_code == 303
    incident = state(runtime)[0]
    assert incident.status is Status.resolved and incident.resolution is Resolution.false_positive
    page = bob.get("/incidents/INC-1")
    assert "Close the incident" in page.text
    assert "false positive" in page.text
    refused(bob, runtime, "/incidents/INC-1/resolve", {}, 409, "INC-1 is already resolved")


def test_checklist_tick_skip_with_reason_and_reopen(browser, people, room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/checklist/github_issues_updated", {"state": "done"})
    bob.post("/incidents/INC-1/checklist/retrospective_scheduled", {"state": "skipped", "note": "Small one"})
    items = state(runtime)[2]
    assert items["github_issues_updated"] == (ItemState.done, "")
    assert items["retrospective_scheduled"] == (ItemState.skipped, "Small one")
    page = bob.get("/incidents/INC-1")
    assert 'class="check check--skipped" id="c-retrospective_scheduled"' in page.text
    assert "Small one" in page.text
    bob.post("/incidents/INC-1/checklist/github_issues_updated", {"state": "open"})
    assert state(runtime)[2]["github_issues_updated"][0] is ItemState.open


def test_skipping_without_a_reason_or_an_unknown_step_is_refused(browser, people, room, runtime):
    bob = browser(people.bob)
    refused(bob, runtime, "/incidents/INC-1/checklist/retrospective_scheduled", {"state": "skipped", "note": ""},
            422, "Say why this step does not apply")
    page = bob.post("/incidents/INC-1/checklist/retrospective_scheduled", {"state": "skipped"})
    assert '<details class="check__skip" id="d-skip-retrospective_scheduled" open>' in page.text
    refused(bob, runtime, "/incidents/INC-1/checklist/no_such_step", {"state": "done"}, 404,
            "No checklist item 'no_such_step'")


def test_pin_and_unpin_an_entry(browser, people, room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/messages", {"text": "Found it: the feature flag"})
    message = state(runtime)[3][-1]
    assert bob.post(f"/incidents/INC-1/pins/{message.id}", {"pinned": "1"}).status_code == 303
    page = bob.get("/incidents/INC-1")
    assert f'id="e-{message.id}"' in page.text
    assert "is-pinned" in page.text
    assert f'aria-label="Unpin entry {message.id} as a key event"' in page.text
    bob.post(f"/incidents/INC-1/pins/{message.id}", {"pinned": "0"})
    assert not next(e for e in state(runtime)[3] if e.id == message.id).pinned
    refused(bob, runtime, "/incidents/INC-1/pins/9999", {"pinned": "1"}, 404, "No timeline entry #9999")


def test_attach_a_playbook_from_the_suggestions(browser, people, room, runtime):
    bob = browser(people.bob)
    picker = bob.get("/incidents/INC-1/playbooks")
    assert picker.status_code == 200
    suggested = picker.text.split("<h2>Suggested</h2>")[1].split("<h2>")[0]
    assert "Roll back a bad deploy" in suggested
    assert bob.post("/incidents/INC-1/playbooks", {"slug": "roll-back-a-bad-deploy"}).status_code == 303
    page = bob.get("/incidents/INC-1")
    assert "Playbook: Roll back a bad deploy" in page.text
    assert 'data-key="roll-back-a-bad-deploy-1"' in page.text
    assert '<span class="badge">attached</span>' in bob.get("/incidents/INC-1/playbooks").text
    refused(bob, runtime, "/incidents/INC-1/playbooks", {"slug": "roll-back-a-bad-deploy"}, 409, "already attached")
    refused(bob, runtime, "/incidents/INC-1/playbooks", {"slug": "nope"}, 404, "No playbook 'nope'")


def _resolve(runtime, people, factory):
    with runtime.database.writing() as db:
        flows.resolve_incident(db=db, actor=factory.actor(people.bob), ref="INC-1")


def test_closing_needs_the_required_steps(browser, people, room, runtime, factory):
    bob = browser(people.bob)
    refused(bob, runtime, "/incidents/INC-1/close", {}, 409, "resolve it first")
    _resolve(runtime, people, factory)
    page = bob.get("/incidents/INC-1")
    assert "Settle these required steps first" in page.text
    assert "Close anyway, with a reason (admin)" not in page.text  # bob is no admin
    refused(bob, runtime, "/incidents/INC-1/close", {}, 409, "cannot close yet; these required steps are open")
    refused(bob, runtime, "/incidents/INC-1/close", {"override": "1", "reason": "Done elsewhere"}, 403,
            "Only an admin can close")
    for key in ("roles_identified", "comms_confirmed", "github_issues_updated", "postmortem_generated",
                "followups_created"):
        bob.post(f"/incidents/INC-1/checklist/{key}", {"state": "done"})
    assert bob.post("/incidents/INC-1/close", {}).status_code == 303
    incident = state(runtime)[0]
    assert incident.status is Status.closed and incident.is_archived


def test_an_admin_closes_with_open_steps_only_with_a_reason(browser, people, room, runtime, factory):
    _resolve(runtime, people, factory)
    alice = browser(people.alice)
    assert "Close anyway, with a reason (admin)" in alice.get("/incidents/INC-1").text
    refused(alice, runtime, "/incidents/INC-1/close", {"override": "1", "reason": "  "}, 422,
            "Write why the incident closes with required steps open.")
    alice.post("/incidents/INC-1/close", {"override": "1", "reason": "Duplicate of INC-0; tracked there"})
    incident = state(runtime)[0]
    assert incident.is_archived
    assert incident.close_override_reason == "Duplicate of INC-0; tracked there"


def test_an_archived_room_is_read_only(browser, people, room, runtime, factory):
    _resolve(runtime, people, factory)
    alice = browser(people.alice)
    alice.post("/incidents/INC-1/close", {"override": "1", "reason": "Test"})
    page = alice.get("/incidents/INC-1")
    assert "Closed and archived." in page.text
    assert 'id="composer"' not in page.text
    room_html = page.text.split('id="room"', 1)[1]
    assert "<form" not in room_html  # no action anywhere in the room
    assert 'data-live="0"' in page.text
    refused(alice, runtime, "/incidents/INC-1/messages", {"text": "one more thing"}, 409,
            "closed and its room is archived (read-only)")
    refused(alice, runtime, "/incidents/INC-1/status", {"status": "investigating"}, 409, "archived")
