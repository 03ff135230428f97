"""Postmortems through the API: generated from the room, edited, reviewed, published, exported, searched."""

from __future__ import annotations

import io
from functools import partial
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import sqlalchemy as sa

from warroom.checklists.models import ItemState
from warroom.checklists.service import POSTMORTEM_GENERATED
from warroom.core.clock import FakeClock
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..api.conftest import Team, assert_problem, stored
from ..factories import Factory
from ..support import checklist_step
from .conftest import Story, room_key_events, tell_story, timeline_section


def _story(team: Team, factory: Factory, runtime: Runtime, clock: FakeClock) -> Story:
    return tell_story(factory, runtime, clock, team.bob, team.carol)


_step = partial(checklist_step, key=POSTMORTEM_GENERATED)  # where the step stands on an incident


def _room(runtime: Runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(TimelineEntry.body).where(TimelineEntry.incident_id == incident_id)
                               .order_by(TimelineEntry.id)))


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcs += [v or "" for k, v in attrs if k in ("src", "href") and tag != "a"]


def test_generated_draft_has_the_facts_and_exactly_the_rooms_key_events(team: Team, factory: Factory,
                                                                        runtime: Runtime, clock: FakeClock) -> None:
    story = _story(team, factory, runtime, clock)
    made = team.as_bob.ok("post", f"/incidents/{story.ref}/postmortem", status=201)
    body = made["body"]
    assert made["state"] == "draft" and made["title"] == f"{story.ref}: Search is down"
    for fact in (f"# Postmortem {story.ref}: Search is down", "Severity: major", "Duration: 40 min",
                 "Customer impact: Yes", "Affected services: api, search", "Resolution: Fixed",
                 "Search returned errors for 40 minutes.", "Incident lead: @bob (Bob)", "Messenger: @carol (Carol)",
                 "- [ ] #1 Alert on shard disk usage (@carol)", "## What went badly", "## Lessons"):
        assert fact in body, fact

    expected = room_key_events(runtime, story.incident.id)
    lines = timeline_section(body)
    assert len(lines) == len(expected)
    for line, (at, text) in zip(lines, expected, strict=True):
        assert line.startswith(f"- {at} — {text}"), (line, at, text)
    assert any("Index shard 3 is full <disk>" in line for line in lines)
    assert any("Rolled back the indexer to 4.1" in line for line in lines)
    assert not any("Looking at the dashboards" in line for line in lines)
    assert "Postmortem drafted" in _room(runtime, story.incident.id)[-1]
    assert _step(runtime, story.incident.id) is ItemState.open

    again = team.as_bob.post(f"/incidents/{story.ref}/postmortem")
    assert_problem(again, 409, contains="already has a postmortem", field="postmortem")


def test_states_publish_and_exports(team: Team, factory: Factory, runtime: Runtime, clock: FakeClock) -> None:
    story = _story(team, factory, runtime, clock)
    ref = story.ref
    team.as_bob.ok("post", f"/incidents/{ref}/postmortem", status=201)
    text = "# Search outage\n\n## Timeline\n\n- 10:00 declared\n\n## Lessons\n\n- Watch disks\n"
    edited = team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"body": text})
    assert edited["body"].startswith("# Search outage")

    early = team.as_bob.patch(f"/incidents/{ref}/postmortem", {"state": "published"})
    assert_problem(early, 409, contains="can move to in review", field="state")
    assert team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"state": "in_review"})["state"] == "in_review"
    assert team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"state": "draft"})["state"] == "draft"
    assert team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"state": "in review"})["state"] == "in_review"
    published = team.as_carol.ok("patch", f"/incidents/{ref}/postmortem", {"state": "published"})
    assert published["state"] == "published" and published["published_by"] == "carol"
    assert published["published_at"] is not None

    folder = Path(published["published_to"])
    assert folder == runtime.settings.resolved_postmortem_dir() / f"{ref}-search-is-down"
    md, page, pdf = (folder / "postmortem.md", folder / "postmortem.html", folder / "postmortem.pdf")
    assert md.read_text().startswith("# Search outage")
    parser = Tags()
    parser.feed(page.read_text())
    assert {"html", "head", "style", "body", "h1", "li"} <= set(parser.tags)
    assert "script" not in parser.tags and "link" not in parser.tags and parser.srcs == []
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Search outage" in text and "10:00 declared" in text

    assert _step(runtime, story.incident.id) is ItemState.done
    room = _room(runtime, story.incident.id)
    assert any(b.startswith("Postmortem published") for b in room)
    assert "Postmortem sent for review" in room and "Postmortem back to draft" in room

    final = team.as_bob.patch(f"/incidents/{ref}/postmortem", {"body": "changed"})
    assert_problem(final, 409, contains="published", field="body")
    back = team.as_bob.patch(f"/incidents/{ref}/postmortem", {"state": "draft"})
    assert_problem(back, 409, contains="final", field="state")

    for fmt, kind in (("md", "text/markdown"), ("html", "text/html"), ("pdf", "application/pdf")):
        for path in (f"/incidents/{ref}/postmortem.{fmt}", f"/incidents/{ref}/postmortem/export?format={fmt}"):
            got = team.as_vic.client.get(f"/api/v1{path}", headers=team.as_vic.headers)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"].startswith(kind)
            assert f'filename="{ref}-search-is-down.{fmt}"' in got.headers["content-disposition"]
    assert_problem(team.as_vic.get(f"/incidents/{ref}/postmortem.docx"), 422, contains="md, html or pdf")


def test_bad_input_says_what_to_fix_and_writes_nothing(team: Team, factory: Factory, runtime: Runtime,
                                                       clock: FakeClock) -> None:
    active = factory.incident(team.bob, title="Still burning")
    refused = team.as_bob.post(f"/incidents/{active.ref}/postmortem")
    assert_problem(refused, 409, contains="resolve it first")
    story = _story(team, factory, runtime, clock)
    ref = story.ref
    assert_problem(team.as_bob.get(f"/incidents/{ref}/postmortem"), 404, contains="no postmortem yet")
    team.as_bob.ok("post", f"/incidents/{ref}/postmortem", status=201)
    before = stored(runtime)
    cases = [
        (team.as_bob.post("/incidents/INC-999/postmortem"), 404, "No incident INC-999"),
        (team.as_bob.get("/incidents/nope/postmortem"), 404, "not an incident reference"),
        (team.as_bob.patch(f"/incidents/{ref}/postmortem", {"body": "  \n "}), 422, "cannot be empty"),
        (team.as_bob.patch(f"/incidents/{ref}/postmortem", {"body": "x" * 200_001}), 422, "at most 200000"),
        (team.as_bob.patch(f"/incidents/{ref}/postmortem", {"body": "ok", "state": "shipped"}), 422,
         "Unknown state"),
        (team.as_bob.patch(f"/incidents/{ref}/postmortem", {"body": "ok", "state": "published"}), 409,
         "cannot become published"),
        (team.as_bob.patch(f"/incidents/{ref}/postmortem", {"title": " "}), 422, "needs a title"),
        (team.as_vic.patch(f"/incidents/{ref}/postmortem", {"body": "viewer edit"}), 403, ""),
        (team.as_bob.post(f"/incidents/{ref}/postmortem/comments", {"body": ""}), 422, "cannot be empty"),
        (team.as_bob.post(f"/incidents/{ref}/postmortem/comments", {"body": "y" * 5001}), 422, "at most 5000"),
        (team.as_bob.put("/postmortems/template", {"body": "# {{ref}} {{nonsense}}"}), 422,
         "Unknown placeholder {{nonsense}}"),
        (team.as_bob.put("/postmortems/template", {"body": ""}), 422, "cannot be empty"),
    ]
    for response, status, says in cases:
        assert_problem(response, status, contains=says)
    assert stored(runtime) == before


def test_publish_failure_leaves_it_unpublished(team: Team, factory: Factory, runtime: Runtime,
                                               clock: FakeClock) -> None:
    story = _story(team, factory, runtime, clock)
    blocker = runtime.settings.resolved_postmortem_dir()
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the folder should be")
    team.as_bob.ok("post", f"/incidents/{story.ref}/postmortem", status=201)
    team.as_bob.ok("patch", f"/incidents/{story.ref}/postmortem", {"state": "in_review"})
    before = stored(runtime)
    failed = team.as_bob.patch(f"/incidents/{story.ref}/postmortem", {"state": "published"})
    assert_problem(failed, 503, contains="WARROOM_POSTMORTEM_DIR")
    assert stored(runtime) == before


def test_comments_are_listed_with_author_and_time(team: Team, factory: Factory, runtime: Runtime,
                                                  clock: FakeClock) -> None:
    story = _story(team, factory, runtime, clock)
    team.as_bob.ok("post", f"/incidents/{story.ref}/postmortem", status=201)
    made = team.as_carol.ok("post", f"/incidents/{story.ref}/postmortem/comments",
                            {"body": "Mention the <pager> delay"}, status=201)
    assert made["author"] == "carol"
    shown = team.as_vic.ok("get", f"/incidents/{story.ref}/postmortem")["comments"]
    assert [(c["author"], c["body"]) for c in shown] == [("carol", "Mention the <pager> delay")]
    assert shown[0]["created_at"]


def test_team_template_is_editable_and_used(team: Team, factory: Factory, runtime: Runtime,
                                            clock: FakeClock) -> None:
    builtin = team.as_vic.ok("get", "/postmortems/template")
    assert builtin["builtin"] is True and "{{timeline}}" in builtin["body"] and "timeline" in builtin["placeholders"]
    saved = team.as_bob.ok("put", "/postmortems/template",
                           {"body": "# {{ ref }} — {{title}}\n\nLead: {{lead}}\n\n## Timeline\n\n{{timeline}}\n"})
    assert saved["builtin"] is False
    assert team.as_vic.ok("get", "/postmortems/template")["body"].startswith("# {{ ref }}")
    story = _story(team, factory, runtime, clock)
    body = team.as_bob.ok("post", f"/incidents/{story.ref}/postmortem", status=201)["body"]
    assert body.startswith(f"# {story.ref} — Search is down\n\nLead: @bob")
    assert len(timeline_section(body)) == len(room_key_events(runtime, story.incident.id))
    reset = team.as_bob.ok("delete", "/postmortems/template")
    assert reset["builtin"] is True


def test_library_searches_published_and_hides_private_incidents(team: Team, factory: Factory, runtime: Runtime,
                                                                clock: FakeClock) -> None:
    public = _story(team, factory, runtime, clock)
    private = tell_story(factory, runtime, clock, team.carol, team.carol, security=True)
    draft_only = tell_story(factory, runtime, clock, team.bob, team.carol)
    for story, words in ((public, "disk_full 100% shard"), (private, "leaked credential shard")):
        team.as_alice.ok("post", f"/incidents/{story.ref}/postmortem", status=201)
        team.as_alice.ok("patch", f"/incidents/{story.ref}/postmortem", {"body": f"# Notes\n\n{words}\n",
                                                                          "state": "in_review"})
        team.as_alice.ok("patch", f"/incidents/{story.ref}/postmortem", {"state": "published"})
    team.as_alice.ok("post", f"/incidents/{draft_only.ref}/postmortem", status=201)

    def refs(caller: object, q: str = "") -> list[str]:
        page = caller.ok("get", f"/postmortems?q={q}" if q else "/postmortems")  # type: ignore[attr-defined]
        return [item["incident"] for item in page["items"]]

    assert set(refs(team.as_alice)) == {public.ref, private.ref}
    assert refs(team.as_bob) == [public.ref]
    assert refs(team.as_vic, "SHARD") == [public.ref]
    assert refs(team.as_vic, "credential") == []
    assert refs(team.as_carol, "credential") == [private.ref]
    assert refs(team.as_bob, "100%") == [public.ref] and refs(team.as_bob, "disk_") == [public.ref]
    assert refs(team.as_bob, "nothing-like-this") == []
    hidden = team.as_bob.get(f"/incidents/{private.ref}/postmortem.pdf")
    assert_problem(hidden, 404, contains=f"No incident {private.ref}")


def test_end_to_end_generate_then_publish_files_that_open(team: Team, factory: Factory, runtime: Runtime,
                                                          clock: FakeClock) -> None:
    story = _story(team, factory, runtime, clock)
    said = team.as_bob.ok("post", "/commands", {"text": "/incident postmortem", "incident": story.ref})
    assert said["data"]["generated"] is True
    body = team.as_bob.ok("get", f"/incidents/{story.ref}/postmortem")["body"]
    expected = room_key_events(runtime, story.incident.id)
    lines = timeline_section(body)
    assert [line.split(" — ", 1)[0] for line in lines] == [f"- {at}" for at, _ in expected]
    team.as_bob.ok("patch", f"/incidents/{story.ref}/postmortem", {"state": "in_review"})
    published = team.as_bob.ok("patch", f"/incidents/{story.ref}/postmortem", {"state": "published"})
    folder = Path(published["published_to"])
    assert folder.parent == runtime.settings.resolved_postmortem_dir()
    markdown = (folder / "postmortem.md").read_text()
    assert all(line in markdown for line in lines)
    parser = Tags()
    parser.feed((folder / "postmortem.html").read_text())
    assert parser.tags.count("li") >= len(lines)
    reader = pypdf.PdfReader(str(folder / "postmortem.pdf"))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert f"Postmortem {story.ref}: Search is down" in text
    for at, event in expected:
        assert at in text and event in text, (at, event)
    assert _step(runtime, story.incident.id) is ItemState.done
