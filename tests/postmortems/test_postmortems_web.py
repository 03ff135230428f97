"""The postmortem pages: generate from the room, edit with preview, review and publish, comment, the library."""

from __future__ import annotations

from typing import Any

from warroom.core.clock import FakeClock
from warroom.runtime import Runtime

from ..api.conftest import stored
from ..factories import Factory
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)
from .conftest import tell_story


def test_generate_edit_preview_review_publish_and_comment(browser: Any, people: People, factory: Factory,  # noqa: F811
                                                          runtime: Runtime, clock: FakeClock) -> None:
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    ref = story.ref
    bob = browser(people.bob)
    room = bob.get(f"/incidents/{ref}").text
    assert f'href="/incidents/{ref}/postmortem"' in room

    empty = bob.get(f"/incidents/{ref}/postmortem").text
    assert "Generate the postmortem" in empty
    assert bob.post(f"/incidents/{ref}/postmortem").status_code == 303
    shown = bob.get(f"/incidents/{ref}/postmortem").text
    assert 'id="postmortem-editor"' in shown and "Index shard 3 is full &lt;disk&gt;" in shown
    assert f'href="/api/v1/incidents/{ref}/postmortem.pdf"' in shown

    typed = {"title": "Search outage",
             "body": "# Outage\n\n<script>alert(1)</script> **bold** [x](javascript:alert(1))"}
    before = stored(runtime)
    preview = bob.post(f"/incidents/{ref}/postmortem/edit", {**typed, "action": "preview"})
    assert preview.status_code == 200 and "Preview (not saved)" in preview.text
    assert "<strong>bold</strong>" in preview.text and "<script>alert(1)" not in preview.text
    assert "&lt;script&gt;" in preview.text and 'href="javascript:' not in preview.text
    assert stored(runtime) == before

    assert bob.post(f"/incidents/{ref}/postmortem/edit", {**typed, "action": "save"}).status_code == 303
    assert bob.post(f"/incidents/{ref}/postmortem/state", {"state": "in_review"}).status_code == 303
    carol = browser(people.carol)
    assert carol.post(f"/incidents/{ref}/postmortem/comments", {"body": "Add the <pager> delay"}).status_code == 303
    assert carol.post(f"/incidents/{ref}/postmortem/state", {"state": "published"}).status_code == 303
    final = bob.get(f"/incidents/{ref}/postmortem").text
    assert "published" in final and "by @carol" in final and 'id="postmortem-editor"' not in final
    assert "Add the &lt;pager&gt; delay" in final and "@carol" in final
    folder = runtime.settings.resolved_postmortem_dir() / f"{ref}-search-outage"
    assert sorted(p.name for p in folder.iterdir()) == ["postmortem.html", "postmortem.md", "postmortem.pdf"]

    library = bob.get("/postmortems", params={"q": "outage"}).text
    assert f'href="/incidents/{ref}/postmortem"' in library and "Search outage" in library
    assert "No published postmortem mentions" in bob.get("/postmortems", params={"q": "<zebra>"}).text


def test_refusals_are_shown_and_write_nothing(browser: Any, people: People, factory: Factory,  # noqa: F811
                                             runtime: Runtime, clock: FakeClock) -> None:
    active = factory.incident(people.bob, title="Still burning")
    story = tell_story(factory, runtime, clock, people.bob, people.carol)
    bob = browser(people.bob)
    vic = browser(people.vic)
    before = stored(runtime)
    early = bob.post(f"/incidents/{active.ref}/postmortem")
    assert early.status_code == 409 and "resolve it first" in early.text
    assert vic.post(f"/incidents/{story.ref}/postmortem").status_code == 403
    assert bob.post(f"/incidents/{story.ref}/postmortem", csrf=False).status_code in (400, 403)
    assert stored(runtime) == before

    assert bob.post(f"/incidents/{story.ref}/postmortem").status_code == 303
    before = stored(runtime)
    blank = bob.post(f"/incidents/{story.ref}/postmortem/edit", {"title": "T", "body": "  ", "action": "save"})
    assert blank.status_code == 422 and "cannot be empty" in blank.text
    jump = bob.post(f"/incidents/{story.ref}/postmortem/state", {"state": "published"})
    assert jump.status_code == 409 and "can move to in review" in jump.text
    bad_template = bob.post("/postmortems/template", {"body": "{{oops}}"})
    assert bad_template.status_code == 422 and "Unknown placeholder" in bad_template.text
    assert stored(runtime) == before
    assert vic.get(f"/incidents/{story.ref}/postmortem").status_code == 200
    assert bob.get("/incidents/INC-99/postmortem").status_code == 404


def test_template_page_saves_and_resets(browser: Any, people: People) -> None:  # noqa: F811
    bob = browser(people.bob)
    page = bob.get("/postmortems/template").text
    assert "{{timeline}}" in page and "built-in template" in page
    saved = bob.post("/postmortems/template", {"body": "# {{ref}}\n\n{{timeline}}\n", "action": "save"})
    assert saved.status_code == 303
    assert "# {{ref}}" in bob.get("/postmortems/template").text
    assert bob.post("/postmortems/template", {"action": "reset"}).status_code == 303
    assert "## What went badly" in bob.get("/postmortems/template").text


def test_a_private_incidents_postmortem_is_hidden_from_others(browser: Any, people: People,  # noqa: F811
                                                              factory: Factory, runtime: Runtime,
                                                              clock: FakeClock) -> None:
    story = tell_story(factory, runtime, clock, people.carol, people.carol, security=True)
    carol = browser(people.carol)
    assert carol.post(f"/incidents/{story.ref}/postmortem").status_code == 303
    assert carol.post(f"/incidents/{story.ref}/postmortem/state", {"state": "in_review"}).status_code == 303
    assert carol.post(f"/incidents/{story.ref}/postmortem/state", {"state": "published"}).status_code == 303
    assert story.ref in carol.get("/postmortems").text
    bob = browser(people.bob)
    assert story.ref not in bob.get("/postmortems").text
    assert story.ref not in bob.get("/postmortems", params={"q": "search"}).text
    assert bob.get(f"/incidents/{story.ref}/postmortem").status_code == 404
    assert bob.post(f"/incidents/{story.ref}/postmortem/comments", {"body": "hi"}).status_code == 404
    assert bob.client.get(f"/api/v1/incidents/{story.ref}/postmortem.html").status_code == 404
