"""Bad input on every on-call endpoint: a clear problem+json 4xx, and nothing written at all."""

from __future__ import annotations

import pytest

from ...api.conftest import assert_problem, stored
from .conftest import POLICY

ALERT = {"message": "search is down", "for": "engineering"}
STEP = {"delay_minutes": 5, "targets": [{"type": "user", "id": "@bob"}]}
LAYER = {"rotation": "weekly", "handoff_local": "2026-03-02T09:00", "participants": ["@bob"]}
HUGE = 99_999_999_999
PAST_ID = 2**31  # one past the largest id either store holds
OVERRIDE = {"user": "@dan", "start_at": "2026-03-02T10:00:00Z", "end_at": "2026-03-02T12:00:00Z"}


def policy(**changes):
    return {**POLICY, "slug": "other", "team": None, **changes}


def replace(**changes):
    return {k: v for k, v in POLICY.items() if k != "slug"} | changes


def steps(*items):
    return policy(steps=list(items))


CASES = [
    # Alerts: raising
    ("bob", "post", "/alerts", {**ALERT, "for": "nobody"}, 404, "No team or person 'nobody'", "target"),
    ("bob", "post", "/alerts", {**ALERT, "priority": "P9"}, 422, "Unknown priority 'P9'", "priority"),
    ("bob", "post", "/alerts", {"message": "down"}, 422, "Say who to page", "for"),
    ("bob", "post", "/alerts", {**ALERT, "responders": [{"type": "team", "id": "engineering"}]}, 422,
     "one of them", "for"),
    ("bob", "post", "/alerts", {**ALERT, "message": "   "}, 422, "needs a message", "message"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "robot", "id": 1}]}, 422,
     "Responder 1: type 'robot' is not one of escalation, schedule, team, user", "responders"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "user", "id": "@ghost"}]}, 422,
     "Responder 1: no user '@ghost'", "responders"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "user", "id": 999}]}, 422,
     "no user '999'", "responders"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "schedule", "id": "nope"}]}, 422,
     "no schedule 'nope'", "responders"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "escalation", "id": "eng-default"},
                                                               {"type": "user", "id": "@bob"}]}, 422,
     "escalation policy alone", "responders"),
    ("bob", "post", "/alerts", {**ALERT, "incident": "INC-99"}, 404, "No incident INC-99", "incident"),
    ("bob", "post", "/alerts", {**ALERT, "severity": "P1"}, 422, "extra", "severity"),
    ("vic", "post", "/alerts", ALERT, 403, "has viewer access", None),
    # Alerts: reading
    ("vic", "get", "/alerts/99", None, 404, "No alert with id '99'", "identifier"),
    ("vic", "get", "/alerts/abc", None, 404, "No alert with id 'abc'", None),
    ("vic", "get", "/alerts?status=firing", None, 422, "Unknown alert status 'firing'", "status"),
    ("vic", "get", "/alerts?team=nope", None, 404, "No team 'nope'", "team"),
    ("vic", "get", "/alerts?incident=INC-77", None, 404, "No incident INC-77", "incident"),
    ("vic", "get", "/alerts?limit=0", None, 422, "limit", "query.limit"),
    # Alerts: acting
    ("bob", "post", "/alerts/99/acknowledge", {}, 404, "No alert with id '99'", None),
    ("bob", "post", "/alerts/99/close", None, 404, "No alert with id '99'", None),
    ("vic", "post", "/alerts/1/acknowledge", {}, 403, "has viewer access", None),
    ("vic", "post", "/alerts/1/escalate", None, 403, "has viewer access", None),
    ("bob", "post", "/alerts/1/unacknowledge", {}, 409, "is open, not acknowledged", None),
    ("bob", "post", "/alerts/1/acknowledge", {"note": "x", "extra": 1}, 422, "extra", "extra"),
    ("bob", "post", "/alerts/1/snooze", {}, 422, "Say how long", "until"),
    ("bob", "post", "/alerts/1/snooze", {"minutes": 0}, 422, "1 to 10080 minutes", "minutes"),
    ("bob", "post", "/alerts/1/snooze", {"until": "2026-03-01T00:00:00Z"}, 422, "next 7 days", "until"),
    ("bob", "post", "/alerts/1/snooze", {"until": "tomorrow"}, 422, "datetime", "until"),
    ("bob", "post", "/alerts/1/notes", {"note": "  "}, 422, "The note is empty", "note"),
    ("bob", "post", "/alerts/1/reassign", {"to": "nobody"}, 404, "No team or person 'nobody'", "target"),
    ("bob", "post", "/alerts/1/incident", {"incident": "INC-99"}, 404, "No incident INC-99", "incident"),
    ("bob", "post", "/alerts/1/declare", {"severity": "minor"}, 422, "normal support/feedback process", None),
    ("bob", "post", "/alerts/1/declare", {"severity": "critical", "title": " "}, 422, "title", None),
    ("bob", "post", "/alerts/99/declare", {"severity": "critical"}, 404, "No alert with id '99'", None),
    ("vic", "post", "/alerts/1/declare", {"severity": "critical"}, 403, "has viewer access", None),
    # Schedules
    ("alice", "post", "/schedules", {"slug": "mars", "name": "Mars", "time_zone": "Mars/Olympus"}, 422,
     "Unknown time zone 'Mars/Olympus'", "time_zone"),
    ("alice", "post", "/schedules", {"slug": "x", "name": "X", "time_zone": "UTC", "team": "nope"}, 422,
     "No team 'nope'", "team"),
    ("alice", "post", "/schedules", {"slug": "Bad Slug", "name": "X", "time_zone": "UTC"}, 422, "slug", "slug"),
    ("alice", "post", "/schedules", {"slug": "eng-primary", "name": "X", "time_zone": "UTC"}, 409,
     "already exists", "slug"),
    ("bob", "post", "/schedules", {"slug": "x", "name": "X", "time_zone": "UTC"}, 403, "needs admin", None),
    ("vic", "post", "/schedules", {"slug": "x", "name": "X", "time_zone": "UTC"}, 403, "needs admin", None),
    ("alice", "patch", "/schedules/eng-primary", {"time_zone": "Nowhere/City"}, 422, "Unknown time zone",
     "time_zone"),
    ("alice", "patch", "/schedules/eng-primary", {"name": " "}, 422, "needs a name", "name"),
    ("alice", "patch", "/schedules/nope", {"name": "X"}, 404, "No schedule 'nope'", "schedule"),
    ("alice", "delete", "/schedules/nope", None, 404, "No schedule 'nope'", "schedule"),
    ("alice", "delete", "/schedules/eng-primary", None, 409, "paged by escalation policy eng-default", None),
    ("bob", "delete", "/schedules/eng-primary", None, 403, "needs admin", None),
    ("vic", "get", "/schedules/nope", None, 404, "No schedule 'nope'", None),
    ("vic", "get", "/schedules?team=nope", None, 422, "No team 'nope'", "team"),
    # Layers
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "participants": ["@ghost"]}, 422,
     "No user '@ghost'", "participants"),
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "rotation": "hourly"}, 422, "rotation",
     "rotation"),
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "handoff_local": "Monday 9am"}, 422,
     "not a hand-off time", "handoff_local"),
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "starts_at": "2026-04-01T00:00:00Z",
                                                        "ends_at": "2026-03-01T00:00:00Z"}, 422,
     "ends_at comes after its starts_at", "ends_at"),
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "rotation": "custom"}, 422, "1 to 8760 hours",
     "length_hours"),
    ("alice", "post", "/schedules/eng-primary/layers",
     {**LAYER, "restrictions": [{"days": [7], "start": "09:00", "end": "17:00"}]}, 422, "Restriction 1",
     "restrictions"),
    ("alice", "post", "/schedules/nope/layers", LAYER, 404, "No schedule 'nope'", None),
    ("bob", "post", "/schedules/eng-primary/layers", LAYER, 403, "needs admin", None),
    ("alice", "patch", "/schedules/eng-primary/layers/999", {"name": "X"}, 404, "No schedule layer #999", "layer"),
    ("alice", "patch", "/schedules/eng-primary/layers/1", {"participants": []}, 200, "", None),
    ("alice", "delete", "/schedules/eng-primary/layers/999", None, 404, "No schedule layer #999", "layer"),
    # Overrides
    ("dan", "post", "/schedules/eng-primary/overrides", {**OVERRIDE, "end_at": "2026-03-02T09:00:00Z"}, 422,
     "ends after it starts", "end_at"),
    ("dan", "post", "/schedules/eng-primary/overrides", {**OVERRIDE, "user": "@ghost"}, 422, "No user '@ghost'",
     "user"),
    ("dan", "post", "/schedules/eng-primary/overrides", {**OVERRIDE, "replaces": "@dan"}, 422,
     "cannot override themselves", "replaces"),
    ("dan", "post", "/schedules/eng-primary/overrides", {**OVERRIDE, "start_at": "2026-03-02T10:00:00"}, 422,
     "needs a time zone offset", "start_at"),
    ("dan", "post", "/schedules/nope/overrides", OVERRIDE, 404, "No schedule 'nope'", None),
    ("vic", "post", "/schedules/eng-primary/overrides", OVERRIDE, 403, "has viewer access", None),
    ("dan", "delete", "/schedules/eng-primary/overrides/999", None, 404, "No schedule override #999", "override"),
    # Who and when
    ("vic", "get", "/schedules/eng-primary/on-call?at=noon", None, 422, "datetime", "query.at"),
    ("vic", "get", "/schedules/eng-primary/timeline?days=0", None, 422, "1 to 366 days", "days"),
    ("vic", "get", "/schedules/nope/timeline", None, 404, "No schedule 'nope'", None),
    ("vic", "get", "/schedules/nope/calendar.ics", None, 404, "No schedule 'nope'", None),
    ("vic", "get", "/schedules/eng-primary/calendar.ics?days=400", None, 422, "1 to 366 days", "days"),
    ("vic", "get", "/users/ghost/on-call.ics", None, 404, "No user 'ghost'", "user"),
    ("vic", "get", "/oncall?target=nope", None, 404, "No team or schedule 'nope'", "target"),
    ("vic", "get", "/oncall?target=customer-support", None, 404, "has no on-call schedule yet", "target"),
    ("vic", "get", "/oncall?at=yesterday", None, 422, "datetime", "query.at"),
    # Paging
    ("bob", "post", "/oncall/page", {"description": "help", "target": "nobody"}, 404, "No team or person", None),
    ("bob", "post", "/oncall/page", {"description": "help", "target": "engineering", "priority": "P0"}, 422,
     "Unknown priority 'P0'", "priority"),
    ("bob", "post", "/oncall/page", {"description": "help", "target": "engineering", "incident": "INC-99"}, 404,
     "No incident INC-99", None),
    ("bob", "post", "/oncall/page", {"description": " ", "target": "engineering"}, 422, "needs a message", None),
    ("bob", "post", "/oncall/page", {"target": "engineering"}, 422, "description", "description"),
    ("vic", "post", "/oncall/page", {"description": "help", "target": "engineering"}, 403, "has viewer access",
     None),
    # Escalation policies
    ("bob", "post", "/escalation-policies", policy(), 403, "needs admin", None),
    ("vic", "put", "/escalation-policies/eng-default", replace(), 403, "needs admin", None),
    ("alice", "post", "/escalation-policies", steps(), 422, "1 to 20 steps", "steps"),
    ("alice", "post", "/escalation-policies", steps(STEP, {**STEP, "delay_minutes": 2000}), 422,
     "Step 2: delay_minutes is 0 to 1440", "steps"),
    ("alice", "post", "/escalation-policies", steps({**STEP, "delay_minutes": -1}), 422, "delay_minutes is 0 to",
     "steps"),
    ("alice", "post", "/escalation-policies", policy(repeat=11), 422, "0 to 10", "repeat"),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "robot", "id": 1}]}), 422,
     "Step 1, target 1: type 'robot' is not one of schedule, team, user", "steps"),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "escalation", "id": 1}]}), 422,
     "type 'escalation' is not one of", "steps"),
    ("alice", "post", "/escalation-policies", steps(STEP, {"targets": [{"type": "user", "id": "@ghost"}]}), 422,
     "Step 2, target 1: no user '@ghost'", "steps"),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "schedule", "id": "nope"}]}), 422,
     "no schedule 'nope'", "steps"),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "team", "id": "nope"}]}), 422,
     "no team 'nope'", "steps"),
    ("alice", "post", "/escalation-policies", steps({"targets": []}), 422, "page 1 to 20 targets", "steps"),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "user", "id": " "}]}), 422,
     "name the user by id or @handle or email", "steps"),
    ("alice", "post", "/escalation-policies", policy(team="nope"), 422, "No team 'nope'", "team"),
    ("alice", "post", "/escalation-policies", policy(slug="Not A Slug"), 422, "policy slug", "slug"),
    ("alice", "post", "/escalation-policies", policy(name=" "), 422, "needs a name", "name"),
    ("alice", "post", "/escalation-policies", {**POLICY, "slug": "second"}, 409, "already has escalation policy",
     "team"),
    ("alice", "post", "/escalation-policies", {**policy(), "slug": "eng-default"}, 409, "already exists", "slug"),
    ("alice", "put", "/escalation-policies/eng-default", replace(steps=[{**STEP, "delay_minutes": 1441}]), 422,
     "delay_minutes", "steps"),
    ("alice", "put", "/escalation-policies/eng-default", replace(team="customer-support", repeat=-1), 422,
     "0 to 10", "repeat"),
    ("alice", "put", "/escalation-policies/nope", replace(), 404, "No escalation policy 'nope'", "policy"),
    ("alice", "delete", "/escalation-policies/nope", None, 404, "No escalation policy 'nope'", "policy"),
    ("vic", "get", "/escalation-policies/nope", None, 404, "No escalation policy 'nope'", "policy"),
    ("bob", "delete", "/escalation-policies/eng-default", None, 403, "needs admin", None),
    # Numbers past the 32-bit ids name nothing (PostgreSQL would otherwise refuse them with a 500)
    ("vic", "get", f"/alerts/{HUGE}", None, 404, f"No alert with id '{HUGE}'", None),
    ("bob", "post", f"/alerts/{HUGE}/close", None, 404, "No alert with id", None),
    ("vic", "get", f"/alerts?incident=INC-{HUGE}", None, 404, "No incident", "incident"),
    ("bob", "post", "/alerts", {**ALERT, "incident": f"INC-{HUGE}"}, 404, "No incident", "incident"),
    ("bob", "post", "/alerts", {"message": "x", "responders": [{"type": "schedule", "id": HUGE}]}, 422,
     f"no schedule '{HUGE}'", "responders"),
    ("bob", "post", "/oncall/page", {"description": "help", "target": "engineering", "incident": f"INC-{HUGE}"},
     404, "No incident", None),
    ("vic", "get", f"/oncall?target={HUGE}", None, 404, "No team or schedule", "target"),
    ("vic", "get", f"/schedules/{HUGE}", None, 404, "No schedule", None),
    ("alice", "patch", f"/schedules/eng-primary/layers/{HUGE}", {"name": "x"}, 422, "less than or equal",
     "path.layer_id"),
    ("alice", "post", "/schedules/eng-primary/layers", {**LAYER, "participants": [HUGE]}, 422, "No user #",
     "participants"),
    ("dan", "post", "/schedules/eng-primary/overrides", {**OVERRIDE, "user": HUGE}, 422, "No user #", "user"),
    ("vic", "get", f"/escalation-policies/{HUGE}", None, 404, "No escalation policy", None),
    ("alice", "post", "/escalation-policies", steps({"targets": [{"type": "user", "id": HUGE}]}), 422,
     f"no user '{HUGE}'", "steps"),
    # Numbers past the 32-bit ids name nothing: the domain says so (find_alert, parse_ref, get_schedule), with
    # the same 404 the API's own guards used to give, and PostgreSQL is never asked to compare them.
    ("vic", "get", f"/alerts/{PAST_ID}", None, 404, f"No alert with id '{PAST_ID}'", "identifier"),
    ("bob", "post", f"/alerts/{PAST_ID}/acknowledge", {}, 404, f"No alert with id '{PAST_ID}'", "identifier"),
    ("vic", "get", f"/alerts?incident=INC-{PAST_ID}", None, 404, f"No incident INC-{PAST_ID}", "incident"),
    ("bob", "post", "/alerts", {**ALERT, "incident": f"INC-{PAST_ID}"}, 404, f"No incident INC-{PAST_ID}",
     "incident"),
    ("bob", "post", "/oncall/page", {"description": "help", "target": "engineering", "incident": f"INC-{PAST_ID}"},
     404, f"No incident INC-{PAST_ID}", "incident"),
    ("vic", "get", f"/oncall?target={PAST_ID}", None, 404, f"No team or schedule '{PAST_ID}'", "target"),
    ("vic", "get", f"/schedules/{PAST_ID}", None, 404, f"No schedule '{PAST_ID}'", "schedule"),
    ("alice", "patch", f"/schedules/{HUGE}", {"name": "X"}, 404, f"No schedule '{HUGE}'", "schedule"),
]


@pytest.fixture
def prepared(org, on_call):
    """The on-call set-up and alert #1, open, paging engineering."""
    org.as_carol.ok("post", "/oncall/page", {"description": "checkout is down", "target": "engineering"},
                    status=201)
    return org


def _ids(case):
    who, method, path, _body, status, *_ = case
    return f"{who}-{method}-{path}-{status}"


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "contains", "field"),
                         [c for c in CASES if c[4] != 200], ids=[_ids(c) for c in CASES if c[4] != 200])
def test_bad_input_is_a_clear_problem_and_writes_nothing(prepared, runtime, who, method, path, body, status,
                                                          contains, field):
    caller = getattr(prepared, f"as_{who}")
    before = stored(runtime)
    call = getattr(caller, method)
    response = call(path) if method in ("get", "delete") else call(path, body)
    assert_problem(response, status, contains=contains, field=field)
    assert stored(runtime) == before


def test_a_layer_with_nobody_is_allowed_and_means_a_gap(prepared):
    """Not an error: an empty rotation is a gap, and who-is-on-call says nobody."""
    prepared.as_alice.ok("patch", "/schedules/eng-primary/layers/1", {"participants": []})
    assert prepared.as_vic.ok("get", "/oncall?target=engineering")["message"] == (
        "On call now: Engineering primary (engineering): nobody")


def test_no_credential_is_refused(client, prepared, runtime):
    before = stored(runtime)
    for path in ("/alerts", "/schedules", "/escalation-policies", "/oncall"):
        assert_problem(client.get(f"/api/v1{path}"), 401, contains="Authorization")
    assert_problem(client.post("/api/v1/alerts", json=ALERT), 401)
    assert stored(runtime) == before
