"""The retrospective from the web page, the chat command and the CLI: the same service, the same invites."""

from __future__ import annotations

from typing import Any

import pytest

from warroom.commands.runner import run_command
from warroom.core.errors import ValidationFailed
from warroom.runtime import Runtime

from ..api.conftest import stored
from ..cli.conftest import cli, remote, server  # noqa: F401  (fixtures)
from ..factories import Factory
from ..notifications.servers import Inbox
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)
from .conftest import invite_of


def test_web_form_schedules_moves_and_cancels(browser: Any, people: People, factory: Factory,  # noqa: F811
                                              runtime: Runtime, inbox: Inbox) -> None:
    incident = factory.incident(people.bob)
    bob = browser(people.bob)
    room = bob.get(f"/incidents/{incident.ref}")
    assert f'href="/incidents/{incident.ref}/retrospective"' in room.text
    assert f'href="/incidents/{incident.ref}/github-issues"' in room.text
    page = bob.get(f"/incidents/{incident.ref}/retrospective")
    assert page.status_code == 200 and "Schedule and send the invites" in page.text
    assert "Retrospective of INC-1: Search is down" in page.text  # the default agenda, ready to edit

    before = stored(runtime)
    refused = bob.post(f"/incidents/{incident.ref}/retrospective",
                       {"starts_at": "2025-01-01T10:00", "minutes": "60", "attendees": "<b>x"})
    assert refused.status_code == 422 and "in the past" in refused.text
    assert stored(runtime) == before

    made = bob.post(f"/incidents/{incident.ref}/retrospective",
                    {"starts_at": "2026-01-12T15:00", "minutes": "30", "location": "Room 4",
                     "agenda": "Walk the timeline", "attendees": "@carol, ext@vendor.example"})
    assert made.status_code == 303
    shown = bob.get(f"/incidents/{incident.ref}/retrospective").text
    assert "2026-01-12 15:00 UTC, 30 min" in shown and "@carol" in shown and "ext@vendor.example" in shown
    runtime.engine().tick()
    assert sorted(m.rcpt_tos[0] for m in inbox.received) == ["bob@example.com", "carol@example.com",
                                                             "ext@vendor.example"]
    assert "Walk the timeline" in str(invite_of(inbox.received[0])[1]["DESCRIPTION"])

    moved = bob.post(f"/incidents/{incident.ref}/retrospective",
                     {"action": "move", "starts_at": "2026-01-12T16:00", "minutes": "30", "location": "Room 4",
                      "agenda": "Walk the timeline"})
    assert moved.status_code == 303
    runtime.engine().tick()
    assert int(invite_of(inbox.received[-1])[1]["SEQUENCE"]) == 1
    cancelled = bob.post(f"/incidents/{incident.ref}/retrospective", {"action": "cancel"})
    assert cancelled.status_code == 303
    assert "cancelled" in bob.get(f"/incidents/{incident.ref}/retrospective").text
    vic = browser(people.vic)
    assert "Schedule it" not in vic.get(f"/incidents/{incident.ref}/retrospective").text


def test_chat_command_schedules_then_moves(factory: Factory, runtime: Runtime, inbox: Inbox) -> None:
    bob = factory.user("bob")
    incident = factory.incident(bob)
    with runtime.database.writing() as db:
        result = run_command(db=db, actor=factory.actor(bob), text="/incident retrospective 2026-01-12 15:00 45",
                             incident_ref=incident.ref)
    assert "scheduled for 2026-01-12 15:00 UTC (45 min)" in result.message
    with runtime.database.writing() as db:
        moved = run_command(db=db, actor=factory.actor(bob), text="/incident retrospective 2026-01-13 09:30",
                            incident_ref=incident.ref)
    assert "moved to 2026-01-13 09:30 UTC (45 min)" in moved.message
    runtime.engine().tick()
    _, event, _ = invite_of(inbox.received[-1])
    assert int(event["SEQUENCE"]) == 1
    with runtime.database.writing() as db, pytest.raises(ValidationFailed) as refused:
        run_command(db=db, actor=factory.actor(bob), text="/incident retrospective tomorrow at noon",
                    incident_ref=incident.ref)
    assert "is not a time" in refused.value.message
    with runtime.database.writing() as db:
        gone = run_command(db=db, actor=factory.actor(bob), text="/incident retrospective --cancel",
                           incident_ref=incident.ref)
    assert "cancelled" in gone.message


def test_cli_schedules_moves_and_cancels(remote: Any, cli: Any, factory: Factory) -> None:  # noqa: F811
    bob = factory.user("bob")
    factory.user("carol")
    factory.incident(bob)
    as_bob = remote.as_(factory.token(bob))
    as_bob.fails("incident", "retrospective", "INC-1", "--at", "2020-01-01T10:00", says="in the past")
    out = as_bob.ok("incident", "retrospective", "INC-1", "--at", "2099-12-01T15:00", "--minutes", "45",
                    "--attendee", "@carol")
    assert "Retrospective of INC-1 scheduled: 2099-12-01T15:00" in out and "@carol" in out and "@bob" in out
    moved = as_bob.json("incident", "retrospective", "INC-1", "--move", "--at", "2099-12-02T15:00", "--json")
    assert moved["sequence"] == 1 and moved["minutes"] == 45
    gone = as_bob.ok("incident", "retrospective", "INC-1", "--cancel")
    assert "cancelled" in gone
