"""The incident's follow-ups page: listed, added, marked done, a GitHub issue created; errors shown, escaped."""

from __future__ import annotations

from typing import Any

from warroom.runtime import Runtime

from ..api.conftest import stored
from ..factories import Factory
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)
from .conftest import REPO, FakeGithub


def test_add_list_and_mark_done(browser: Any, people: People, factory: Factory, runtime: Runtime,  # noqa: F811
                                github: FakeGithub) -> None:
    incident = factory.incident(people.bob)
    bob = browser(people.bob)
    room = bob.get(f"/incidents/{incident.ref}")
    assert f'href="/incidents/{incident.ref}/followups"' in room.text

    added = bob.post(f"/incidents/{incident.ref}/followups",
                     {"text": "Alert on <lag>", "owner": "@carol", "due": "2026-02-01", "priority": "high",
                      "github": "new"})
    assert added.status_code == 303
    shown = bob.get(f"/incidents/{incident.ref}/followups").text
    assert "Alert on &lt;lag&gt;" in shown and "<lag>" not in shown
    assert "@carol" in shown and "due 2026-02-01" in shown and "issue pending" in shown

    runtime.engine().tick()
    shown = bob.get(f"/incidents/{incident.ref}/followups").text
    assert f"{REPO}#1" in shown and "https://github.example/acme/search/issues/1" in shown

    done = bob.post(f"/incidents/{incident.ref}/followups/1", {"status": "done"})
    assert done.status_code == 303
    assert "Reopen" in bob.get(f"/incidents/{incident.ref}/followups").text


def test_link_an_existing_issue_when_adding_or_later(browser: Any, people: People, factory: Factory,  # noqa: F811
                                                     runtime: Runtime, github: FakeGithub) -> None:
    incident = factory.incident(people.bob)
    github.add_issue(REPO, 812, "Index lag")
    github.add_issue(REPO, 813, "Disk alerts")
    bob = browser(people.bob)
    page = bob.get(f"/incidents/{incident.ref}/followups").text
    assert 'value="link"' in page and 'name="issue"' in page
    added = bob.post(f"/incidents/{incident.ref}/followups",
                     {"text": "Alert on lag", "github": "link", "issue": f"{REPO}#812"})
    assert added.status_code == 303
    later = bob.post(f"/incidents/{incident.ref}/followups", {"text": "Disk alerts"})
    assert later.status_code == 303
    before = stored(runtime)
    refused = bob.post(f"/incidents/{incident.ref}/followups/2", {"github": "link", "issue": "acme search 813"})
    assert refused.status_code == 422 and "write owner/name#123" in refused.text
    assert stored(runtime) == before
    linked = bob.post(f"/incidents/{incident.ref}/followups/2", {"github": "link", "issue": f"{REPO}#813"})
    assert linked.status_code == 303
    runtime.engine().tick()
    shown = bob.get(f"/incidents/{incident.ref}/followups").text
    assert f"{REPO}#812" in shown and f"{REPO}#813" in shown
    assert github.created() == []  # linked, never created


def test_bad_input_is_shown_and_nothing_written(browser: Any, people: People, factory: Factory,  # noqa: F811
                                                runtime: Runtime) -> None:
    incident = factory.incident(people.bob)
    bob = browser(people.bob)
    vic = browser(people.vic)
    before = stored(runtime)
    refused = bob.post(f"/incidents/{incident.ref}/followups", {"text": "Fix", "due": "soon <b>"})
    assert refused.status_code == 422
    assert "is not a date" in refused.text and "soon &lt;b&gt;" in refused.text
    viewer = vic.post(f"/incidents/{incident.ref}/followups", {"text": "Fix"})
    assert viewer.status_code == 403
    missing_csrf = bob.post(f"/incidents/{incident.ref}/followups", {"text": "Fix"}, csrf=False)
    assert missing_csrf.status_code in (400, 403)
    assert stored(runtime) == before


def test_overdue_page_per_team(browser: Any, people: People, factory: Factory, runtime: Runtime) -> None:  # noqa: F811
    incident = factory.incident(people.bob)
    bob = browser(people.bob)
    for text, owner, due in (("Late <one>", "@bob", "2026-01-01"), ("Support's", "@carol", "2026-01-02"),
                             ("Not yet", "@bob", "2026-06-01")):
        assert bob.post(f"/incidents/{incident.ref}/followups",
                        {"text": text, "owner": owner, "due": due}).status_code == 303
    everyone = bob.get("/followups/overdue").text
    assert "Late &lt;one&gt;" in everyone and "Support&#39;s" in everyone and "Not yet" not in everyone
    engineering = bob.get("/followups/overdue", params={"team": "engineering"}).text
    assert "Late &lt;one&gt;" in engineering and "Support" not in engineering
    unknown = bob.get("/followups/overdue", params={"team": "<nope>"})
    assert unknown.status_code == 404 and "No team &#39;&lt;nope&gt;&#39;" in unknown.text
