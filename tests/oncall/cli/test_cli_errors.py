"""Bad input through `warroom oncall …` and `warroom alert …`: one red line, exit code 1, nothing written."""

from __future__ import annotations

import pytest

from ...api.conftest import stored

WINDOW = ("--from", "2026-03-02T10:00", "--to", "2026-03-02T12:00")


@pytest.fixture
def alert_one(people):
    """Alert #1, open, paging engineering."""
    people.ok("carol", "alert", "create", "checkout is down", "--for", "engineering")
    return people


@pytest.mark.parametrize(("who", "args", "says"), [
    ("bob", ("alert", "create", "x", "--for", "nobody"), "No team or person 'nobody'"),
    ("bob", ("alert", "create", "x", "--for", "engineering", "--priority", "P9"), "Unknown priority 'P9'"),
    ("bob", ("alert", "create", "x", "--for", "engineering", "--incident", "INC-9"), "No incident INC-9"),
    ("bob", ("alert", "create", " ", "--for", "engineering"), "needs a message"),
    ("vic", ("alert", "create", "x", "--for", "engineering"), "has viewer access"),
    ("vic", ("alert", "show", "99"), "No alert with id '99'"),
    ("bob", ("alert", "ack", "99"), "No alert with id '99'"),
    ("bob", ("alert", "unack", "1"), "is open, not acknowledged"),
    ("vic", ("alert", "close", "1"), "has viewer access"),
    ("bob", ("alert", "snooze", "1", "--until", "soon"), "valid datetime"),
    ("bob", ("alert", "snooze", "1", "--until", "9d"), "1 to 10080 minutes"),
    ("bob", ("alert", "snooze", "1", "--until", "2026-03-01T00:00"), "next 7 days"),
    ("bob", ("alert", "note", "1", " "), "The note is empty"),
    ("bob", ("alert", "reassign", "1", "--to", "nobody"), "No team or person 'nobody'"),
    ("bob", ("alert", "attach", "1", "INC-9"), "No incident INC-9"),
    ("bob", ("alert", "declare", "1", "--severity", "minor"), "normal support/feedback process"),
    ("vic", ("alert", "escalate", "1"), "has viewer access"),
    ("vic", ("alert", "list", "--status", "firing"), "Unknown alert status 'firing'"),
    ("vic", ("alert", "list", "--team", "nope"), "No team 'nope'"),
    ("vic", ("oncall", "who", "nope"), "No team or schedule 'nope'"),
    ("vic", ("oncall", "who", "customer-support"), "has no on-call schedule yet"),
    ("vic", ("oncall", "who", "--at", "noon"), "valid datetime"),
    ("vic", ("oncall", "schedules", "--team", "nope"), "No team 'nope'"),
    ("vic", ("oncall", "schedule", "show", "nope"), "No schedule 'nope'"),
    ("dan", ("oncall", "override", "eng-primary", "--user", "@ghost", *WINDOW), "No user '@ghost'"),
    ("dan", ("oncall", "override", "eng-primary", "--user", "@dan", "--replaces", "@dan", *WINDOW),
     "cannot override themselves"),
    ("dan", ("oncall", "override", "eng-primary", "--user", "@dan", "--from", "2026-03-02T12:00", "--to",
             "2026-03-02T10:00"), "An override ends after it starts"),
    ("dan", ("oncall", "override", "eng-primary", "--user", "@dan", "--from", "tomorrow", "--to",
             "2026-03-02T10:00"), "--from 'tomorrow' is not a time"),
    ("dan", ("oncall", "override", "nope", "--user", "@dan", *WINDOW), "No schedule 'nope'"),
    ("vic", ("oncall", "override", "eng-primary", "--user", "@dan", *WINDOW), "has viewer access"),
])
def test_bad_input_is_one_red_line_and_writes_nothing(alert_one, runtime, who, args, says):
    before = stored(runtime)
    alert_one.fails(who, *args, says=says)
    assert stored(runtime) == before


def test_a_wrong_token_is_refused(people, runtime):
    before = stored(runtime)
    people.remote.as_("wr_not-a-real-token").fails("oncall", "who", says="unknown or revoked")
    assert stored(runtime) == before
