"""Follow-ups and the retrospective on the postmortem page: listed live, added there (with a GitHub issue created
or linked), refusals shown with what was typed, viewers read only, a private incident's page for its participants."""

from __future__ import annotations

from typing import Any

import pytest

from warroom.config import Settings
from warroom.core.clock import FakeClock
from warroom.followups import service as followups
from warroom.incidents import service as incidents
from warroom.postmortems import service as postmortems
from warroom.retrospectives import service as retrospectives
from warroom.runtime import Runtime

from ..api.conftest import stored
from ..factories import Factory
from ..followups.conftest import REPO, TOKEN, FakeGithub, github  # noqa: F401  (fixture)
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)
from .conftest import tell_story


@pytest.fixture
def settings(settings: Settings, github: FakeGithub) -> Settings:  # noqa: F811
    return settings.model_copy(update={"github_token": TOKEN, "github_api_url": github.url,
                                       "github_repository": REPO})


def body_of(runtime: Runtime, ref: str) -> str:
    with runtime.database.reading() as db:
        found = postmortems.find_for_incident(db=db, incident_id=incidents.get_incident(db=db, ref=ref).id)
        assert found is not None
        return found.body


def test_added_from_the_postmortem_page_listed_live_and_the_draft_left_as_written(
        browser: Any, people: People, factory: Factory, runtime: Runtime, clock: FakeClock,  # noqa: F811
        github: FakeGithub) -> None:  # noqa: F811
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    ref = story.ref
    github.add_issue(REPO, 7, "Shard disk alert")
    bob = browser(people.bob)
    before_draft = bob.get(f"/incidents/{ref}/postmortem").text
    assert "Alert on shard disk usage" in before_draft and 'id="pm-add-followup"' in before_draft
    assert bob.post(f"/incidents/{ref}/postmortem").status_code == 303
    drafted = body_of(runtime, ref)
    assert "Alert on shard disk usage" in drafted

    linked = bob.post(f"/incidents/{ref}/postmortem/followups",
                      {"text": "Page on <shard> fill", "owner": "@carol", "due": "2026-02-01", "priority": "high",
                       "github": "link", "issue": f"{REPO}#7"})
    assert linked.status_code == 303 and linked.headers["location"] == f"/incidents/{ref}/postmortem"
    shown = bob.get(f"/incidents/{ref}/postmortem").text
    assert f"Added follow-up #2; attaching {REPO}#7 (issue pending)" in shown
    assert "Page on &lt;shard&gt; fill" in shown and "<shard>" not in shown
    assert "@carol" in shown and "due 2026-02-01" in shown and "issue pending" in shown
    created = bob.post(f"/incidents/{ref}/postmortem/followups",
                       {"text": "Document the rollback", "github": "new", "priority": "low"})
    assert created.status_code == 303
    plain = bob.post(f"/incidents/{ref}/postmortem/followups", {"text": "Tell the search team", "github": "none"})
    assert plain.status_code == 303

    runtime.engine().tick()
    shown = bob.get(f"/incidents/{ref}/postmortem").text
    assert f'href="https://github.example/{REPO}/issues/7"' in shown and f"{REPO}#7" in shown
    assert f'href="https://github.example/{REPO}/issues/8"' in shown  # the new one, after #7
    assert [issue["title"] for issue in github.created()] == [f"[{ref}] Document the rollback"]
    assert "GitHub: none" in shown

    assert bob.post(f"/incidents/{ref}/followups/1", {"status": "done"}).status_code == 303
    shown = bob.get(f"/incidents/{ref}/postmortem").text
    assert '<span class="badge">done</span>' in shown
    assert body_of(runtime, ref) == drafted
    assert "Page on" not in drafted and "Document the rollback" not in drafted
    with runtime.database.reading() as db:
        rows = followups.list_followups(db=db, actor=factory.actor(people.bob), ref=ref)
    assert [(r.followup.text, r.owner_handle) for r in rows] == [
        ("Alert on shard disk usage", "carol"), ("Page on <shard> fill", "carol"),
        ("Document the rollback", None), ("Tell the search team", None)]
    assert [r.issue_label for r in rows] == ["", f"{REPO}#7", f"{REPO}#8", ""]


@pytest.mark.parametrize(("typed", "said"), [
    ({"text": "   "}, "Say what needs doing"),
    ({"text": "Fix <it>", "owner": "@nobody"}, "No person &#39;@nobody&#39;"),
    ({"text": "Fix <it>", "due": "soon"}, "is not a date"),
    ({"text": "Fix <it>", "github": "link", "issue": "acme/search"}, "is not a GitHub issue to link"),
    ({"text": "Fix <it>", "github": "link", "issue": ""}, "Write the GitHub issue to link"),
    ({"text": "Fix <it>", "github": "link", "issue": "acme#3"}, "is not a GitHub repository"),
    ({"text": "Fix <it>", "github": "link", "issue": "acme/search#4294967296"}, "is not a GitHub issue number"),
    ({"text": "Fix <it>", "github": "maybe"}, "Unknown GitHub choice"),
])
def test_refusals_show_on_the_postmortem_page_with_what_was_typed(
        typed: dict[str, str], said: str, browser: Any, people: People, factory: Factory,  # noqa: F811
        runtime: Runtime, clock: FakeClock) -> None:
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    bob = browser(people.bob)
    assert bob.post(f"/incidents/{story.ref}/postmortem").status_code == 303
    form = {"owner": "@carol", "due": "2026-03-01", "priority": "high", **typed}
    before = stored(runtime)
    refused = bob.post(f"/incidents/{story.ref}/postmortem/followups", form)
    assert refused.status_code == 422, refused.text
    assert said in refused.text and 'id="postmortem-editor"' in refused.text
    page = refused.text.split('id="pm-add-followup"', 1)[1]
    assert 'class="error" role="alert"' in page.split("</form>", 1)[0]
    if typed["text"].strip():
        assert "Fix &lt;it&gt;</textarea>" in page
    assert f'value="{form["owner"]}"' in page and f'value="{form["due"]}"' in page
    assert '<option value="high" selected>' in page
    if typed.get("github") == "link":
        assert 'name="github" value="link" checked' in page
    assert stored(runtime) == before


def test_viewers_read_the_list_and_others_are_kept_out_of_a_private_incident(
        browser: Any, people: People, factory: Factory, runtime: Runtime, clock: FakeClock) -> None:  # noqa: F811
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    secret = tell_story(factory, runtime, clock, people.carol, people.carol, security=True)
    vic = browser(people.vic)
    shown = vic.get(f"/incidents/{story.ref}/postmortem")
    assert shown.status_code == 200 and "Alert on shard disk usage" in shown.text
    assert 'id="pm-add-followup"' not in shown.text and "The retrospective page" in shown.text
    bob = browser(people.bob)
    before = stored(runtime)
    assert vic.post(f"/incidents/{story.ref}/postmortem/followups", {"text": "Sneak"}).status_code == 403
    assert bob.post(f"/incidents/{story.ref}/postmortem/followups", {"text": "No token"},
                    csrf=False).status_code in (400, 403)
    assert bob.get(f"/incidents/{secret.ref}/postmortem").status_code == 404
    hidden = bob.post(f"/incidents/{secret.ref}/postmortem/followups", {"text": "Peek"})
    assert hidden.status_code == 404 and "Alert on shard disk usage" not in hidden.text
    assert stored(runtime) == before
    carol = browser(people.carol)
    assert carol.post(f"/incidents/{secret.ref}/postmortem/followups", {"text": "Rotate the keys"}).status_code == 303
    assert "Rotate the keys" in carol.get(f"/incidents/{secret.ref}/postmortem").text


def test_the_retrospective_is_summed_up_or_offered(browser: Any, people: People, factory: Factory,  # noqa: F811
                                                   runtime: Runtime, clock: FakeClock) -> None:
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    bob = browser(people.bob)
    before = bob.get(f"/incidents/{story.ref}/postmortem").text
    assert "No retrospective scheduled" in before
    assert f'<a href="/incidents/{story.ref}/retrospective">Schedule one</a>' in before
    with runtime.database.writing() as db:
        retrospectives.schedule(db=db, actor=factory.actor(people.bob), ref=story.ref,
                                starts_at="2026-01-09T15:00", minutes=45, location="Room <4>",
                                attendees=["partner@example.com"])
    shown = bob.get(f"/incidents/{story.ref}/postmortem").text
    assert "2026-01-09 15:00 UTC, 45 min · Room &lt;4&gt;" in shown
    invited = shown.split('id="pm-retro-attendees">', 1)[1].split("</p>", 1)[0]
    assert "@bob" in invited and "@carol" in invited and "partner@example.com" in invited
    with runtime.database.writing() as db:
        retrospectives.cancel(db=db, actor=factory.actor(people.bob), ref=story.ref)
    assert "The retrospective was cancelled" in bob.get(f"/incidents/{story.ref}/postmortem").text
