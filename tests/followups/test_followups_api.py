"""Follow-ups through the API: created, changed, listed; bad input says what to fix and writes nothing."""

from __future__ import annotations

from functools import partial

import sqlalchemy as sa

from warroom.audit.models import AuditEntry
from warroom.checklists.models import ItemState
from warroom.checklists.service import FOLLOWUPS_CREATED
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..api.conftest import Team, assert_problem, declare, stored
from ..support import checklist_step


def _room(runtime: Runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(TimelineEntry.body).where(TimelineEntry.incident_id == incident_id)
                               .order_by(TimelineEntry.id)))


def _actions(runtime: Runtime) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("followup.%"))
                               .order_by(AuditEntry.id)))


_step = partial(checklist_step, key=FOLLOWUPS_CREATED)  # where the step stands on an incident


def test_create_list_and_change_a_followup(team: Team, runtime: Runtime) -> None:
    incident = declare(team.as_bob)["incident"]
    ref = incident["ref"]
    made = team.as_bob.ok("post", f"/incidents/{ref}/followups",
                          {"text": "Alert on  index lag", "owner": "@carol", "due": "2026-02-01",
                           "priority": "high"}, status=201)
    assert made["text"] == "Alert on index lag"
    assert made["owner"] == "carol" and made["due"] == "2026-02-01" and made["priority"] == "high"
    assert made["status"] == "open" and made["github"]["state"] == "none"

    listed = team.as_vic.ok("get", f"/incidents/{ref}/followups")
    assert listed["total"] == 1 and listed["items"][0]["id"] == made["id"]

    changed = team.as_bob.ok("patch", f"/followups/{made['id']}", {"status": "done", "owner": "", "priority": "low"})
    assert changed["status"] == "done" and changed["owner"] is None and changed["priority"] == "low"
    assert changed["done_at"] is not None

    room = _room(runtime, incident["id"])
    assert f"Follow-up #{made['id']} added: Alert on index lag (owner @carol), due 2026-02-01" in room
    assert f"Follow-up #{made['id']} changed: status done, owner nobody, priority low" in room
    assert _actions(runtime) == ["followup.created", "followup.updated"]
    # Not attached to a GitHub issue: the step stays for a person to settle.
    assert _step(runtime, incident["id"]) is ItemState.open


def test_bad_input_says_what_to_fix_and_writes_nothing(team: Team, runtime: Runtime) -> None:
    ref = declare(team.as_bob)["incident"]["ref"]
    before = stored(runtime)
    path = f"/incidents/{ref}/followups"
    assert_problem(team.as_bob.post(path, {"text": "  "}), 422, contains="needs text", field="text")
    assert_problem(team.as_bob.post(path, {"text": "x" * 2001}), 422, contains="at most 2000", field="text")
    assert_problem(team.as_bob.post(path, {"text": "a", "owner": "@nobody"}), 422, contains="nobody",
                   field="owner")
    assert_problem(team.as_bob.post(path, {"text": "a", "due": "next week"}), 422, contains="YYYY-MM-DD",
                   field="due")
    assert_problem(team.as_bob.post(path, {"text": "a", "priority": "urgent"}), 422, contains="low, medium, high",
                   field="priority")
    assert_problem(team.as_bob.post(path, {"text": "a", "github": "acme#x"}), 422, contains="owner/name#123",
                   field="github")
    assert_problem(team.as_bob.post(path, {"text": "a", "github": "not a repo#3"}), 422,
                   contains="owner/name", field="repository")
    assert_problem(team.as_vic.post(path, {"text": "a"}), 403)
    assert_problem(team.as_bob.post("/incidents/INC-999/followups", {"text": "a"}), 404)
    assert_problem(team.as_bob.patch("/followups/999", {"status": "done"}), 404)
    assert stored(runtime) == before


def test_patch_refuses_bad_values_and_changes_nothing(team: Team, runtime: Runtime) -> None:
    ref = declare(team.as_bob)["incident"]["ref"]
    made = team.as_bob.ok("post", f"/incidents/{ref}/followups", {"text": "Fix it"}, status=201)
    before = stored(runtime)
    assert_problem(team.as_bob.patch(f"/followups/{made['id']}", {"status": "closed"}), 422,
                   contains="open or done", field="status")
    assert_problem(team.as_bob.patch(f"/followups/{made['id']}", {"priority": "low", "due": "31/12"}), 422,
                   field="due")
    assert stored(runtime) == before


def test_private_incident_followups_are_not_found_for_outsiders(team: Team, runtime: Runtime) -> None:
    incident = declare(team.as_alice, security=True)["incident"]
    made = team.as_alice.ok("post", f"/incidents/{incident['ref']}/followups", {"text": "Rotate keys"}, status=201)
    assert_problem(team.as_carol.get(f"/incidents/{incident['ref']}/followups"), 404)
    assert_problem(team.as_carol.patch(f"/followups/{made['id']}", {"status": "done"}), 404)


def test_overdue_followups_per_team(team: Team, runtime: Runtime) -> None:
    ref = declare(team.as_bob)["incident"]["ref"]
    path = f"/incidents/{ref}/followups"
    late = team.as_bob.ok("post", path, {"text": "Late", "owner": "@bob", "due": "2026-01-01"}, status=201)
    team.as_bob.ok("post", path, {"text": "Late, support", "owner": "@carol", "due": "2026-01-02"}, status=201)
    team.as_bob.ok("post", path, {"text": "Not yet due", "owner": "@bob", "due": "2026-03-01"}, status=201)
    done = team.as_bob.ok("post", path, {"text": "Done", "owner": "@bob", "due": "2026-01-01"}, status=201)
    team.as_bob.ok("patch", f"/followups/{done['id']}", {"status": "done"})
    everyone = team.as_vic.ok("get", "/followups/overdue")
    assert [i["text"] for i in everyone["items"]] == ["Late", "Late, support"]
    engineering = team.as_vic.get("/followups/overdue", team="engineering").json()
    assert [i["id"] for i in engineering["items"]] == [late["id"]]
    assert_problem(team.as_vic.get("/followups/overdue", team="nope"), 404, contains="no team")


def test_followup_from_the_command_language(team: Team, runtime: Runtime) -> None:
    ref = declare(team.as_bob)["incident"]["ref"]
    said = team.as_bob.ok("post", "/commands", {"text": "/incident followup Add an alert on lag @carol --due "
                                                        "2026-02-01 --priority high", "incident": ref})
    assert said["message"].endswith("for @carol: Add an alert on lag")
    [item] = team.as_bob.ok("get", f"/incidents/{ref}/followups")["items"]
    assert (item["text"], item["owner"], item["due"], item["priority"]) == (
        "Add an alert on lag", "carol", "2026-02-01", "high")
    plain = team.as_bob.ok("post", "/commands", {"text": "/incident followup email @ the vendor", "incident": ref})
    assert plain["data"]["followup_id"] == item["id"] + 1
    before = stored(runtime)
    bad = team.as_bob.post("/commands", {"text": "/incident followup", "incident": ref})
    assert_problem(bad, 400, contains="Usage: /incident followup")
    assert_problem(team.as_bob.post("/commands", {"text": "/incident followup Fix @zed", "incident": ref}), 422,
                   contains="zed")
    assert stored(runtime) == before


def test_the_demo_shows_a_followup(runtime: Runtime) -> None:
    from warroom.demo import seed_demo
    from warroom.followups.models import FollowUp

    with runtime.database.writing() as db:
        seed_demo(db=db, clock=runtime.clock)
    with runtime.database.reading() as db:
        [followup] = db.scalars(sa.select(FollowUp))
        assert followup.text == "Add an indexer check for new users' documents"
