"""Related GitHub issues from the web page, the chat command and the CLI."""

from __future__ import annotations

from typing import Any

import pytest

from warroom.commands.runner import run_command
from warroom.core.errors import ValidationFailed
from warroom.runtime import Runtime

from ..api.conftest import stored
from ..cli.conftest import cli, remote, server  # noqa: F401  (fixtures)
from ..factories import Factory
from ..followups.conftest import REPO, FakeGithub
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)


def test_web_links_and_shows_the_update(browser: Any, people: People, factory: Factory,  # noqa: F811
                                        runtime: Runtime, github: FakeGithub) -> None:
    github.add_issue(REPO, 12, "Search returns nothing")
    incident = factory.incident(people.bob)
    bob = browser(people.bob)
    before = stored(runtime)
    refused = bob.post(f"/incidents/{incident.ref}/github-issues", {"issue": "<script>"})
    assert refused.status_code == 422 and "owner/name#12" in refused.text and "<script>" not in refused.text
    assert stored(runtime) == before
    linked = bob.post(f"/incidents/{incident.ref}/github-issues", {"issue": f"{REPO}#12", "close": "on"})
    assert linked.status_code == 303
    page = bob.get(f"/incidents/{incident.ref}/github-issues").text
    assert f"{REPO}#12" in page and "close on resolve" in page and "linked" in page
    with runtime.database.writing() as db:
        run_command(db=db, actor=factory.actor(people.bob), text="/incident resolve fixed", incident_ref=incident.ref)
    runtime.engine().tick()
    runtime.engine().tick()
    page = bob.get(f"/incidents/{incident.ref}/github-issues").text
    assert "updated" in page and "The resolution comment" in page
    assert github.issues[(REPO, 12)]["state"] == "closed"


def test_chat_command_links(factory: Factory, runtime: Runtime, github: FakeGithub) -> None:
    bob = factory.user("bob")
    incident = factory.incident(bob)
    with runtime.database.writing() as db:
        result = run_command(db=db, actor=factory.actor(bob), text=f"/incident github {REPO}#12 --close",
                             incident_ref=incident.ref)
    assert f"Linked {REPO}#12 to {incident.ref}" in result.message and "close it when it resolves" in result.message
    with runtime.database.writing() as db, pytest.raises(ValidationFailed) as refused:
        run_command(db=db, actor=factory.actor(bob), text="/incident github search-bug", incident_ref=incident.ref)
    assert "owner/name#12" in refused.value.message


def test_cli_links_and_unlinks(remote: Any, cli: Any, factory: Factory) -> None:  # noqa: F811
    bob = factory.user("bob")
    factory.incident(bob)
    as_bob = remote.as_(factory.token(bob))
    out = as_bob.ok("incident", "github-issue", "INC-1", "acme/api#12", "--close")
    assert "Linked acme/api#12 to INC-1 (linked); on resolve Warroom will comment and close it" in out
    as_bob.fails("incident", "github-issue", "INC-1", "acme/api#12", says="already linked")
    as_bob.fails("incident", "github-issue", "INC-1", "acme-api-12", says="owner/name#12")
    assert "Unlinked acme/api#12" in as_bob.ok("incident", "github-issue", "INC-1", "acme/api#12", "--unlink")
