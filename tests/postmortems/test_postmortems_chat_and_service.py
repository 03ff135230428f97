"""`/incident postmortem`, the service's helpers for others (find_for_incident, agenda_points), the renderers."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from warroom.core.clock import FakeClock
from warroom.core.errors import Conflict
from warroom.postmortems import render
from warroom.postmortems import service as postmortems
from warroom.postmortems.models import Postmortem
from warroom.postmortems.publish import FolderPublisher, slug
from warroom.runtime import Runtime

from ..api.conftest import Team, assert_problem, stored
from ..factories import Factory
from .conftest import tell_story


def test_chat_command_generates_once_and_links(team: Team, factory: Factory, runtime: Runtime,
                                               clock: FakeClock) -> None:
    active = factory.incident(team.bob, title="Still burning")
    before = stored(runtime)
    early = team.as_bob.post("/commands", {"text": "/incident postmortem", "incident": active.ref})
    assert_problem(early, 409, contains="resolve it first")
    assert stored(runtime) == before
    bad = team.as_bob.post("/commands", {"text": "/incident postmortem now", "incident": active.ref})
    assert_problem(bad, 400, contains="Usage: /incident postmortem")

    story = tell_story(factory, runtime, clock, team.bob, team.carol)
    said = team.as_bob.ok("post", "/commands", {"text": "/incident postmortem", "incident": story.ref})
    link = f"/incidents/{story.ref}/postmortem"
    assert said["message"].endswith(link) and said["data"]["generated"] is True
    again = team.as_carol.ok("post", "/commands", {"text": "/incident postmortem", "incident": story.ref})
    assert again["message"] == f"The postmortem of {story.ref} is draft: {link}"
    assert again["data"]["generated"] is False
    with runtime.database.reading() as db:
        found = postmortems.find_for_incident(db=db, incident_id=story.incident.id)
        assert found is not None and found.state.value == "draft"
        assert postmortems.find_for_incident(db=db, incident_id=active.id) is None


def test_agenda_points_are_what_went_badly_and_lessons() -> None:
    body = ("# PM\n\n## What went well\n\n- Fast rollback\n\n## What went badly\n\n- Paging took 9 minutes\n"
            "* No runbook for shard disks\n\n## Root causes\n\n- Disk full\n\n### Lessons ###\n\n"
            "1. Alert before disks fill\n- [ ] Practise rollbacks\nOne more thought\n\n## Follow-ups\n\n- x\n")
    points = postmortems.agenda_points(Postmortem(body=body))
    assert points == ["Paging took 9 minutes", "No runbook for shard disks", "Alert before disks fill",
                      "Practise rollbacks", "One more thought"]
    assert postmortems.agenda_points(Postmortem(body="# Nothing here\n")) == []


def test_renderers_are_safe_and_the_pdf_survives_odd_markdown() -> None:
    hostile = ("# Title “quoted” → ok\n\n<img src=x onerror=alert(1)>\n\n![remote](https://example.com/x.png)\n\n"
               "[bad](javascript:alert(1)) [good](https://example.com)\n\n```\ncode <b>\n```\n\n"
               "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n- [ ] task\n")
    html = render.html_page(title="T <x>", markdown=hostile, footer="f")
    assert "<img" not in html and 'href="javascript:' not in html
    assert "<title>T &lt;x&gt;</title>" in html and 'href="https://example.com"' in html
    assert "http" not in html.split("<main>")[0]
    pdf = render.pdf_bytes(title="T", markdown=hostile, footer="footer line")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Title" in text and "code <b>" in text and "footer line" in text
    long_pdf = render.pdf_bytes(title="Long", markdown="\n\n".join(f"- item {n}" for n in range(400)), footer="")
    assert len(pypdf.PdfReader(io.BytesIO(long_pdf)).pages) > 1


def test_slugs() -> None:
    assert slug("INC-4: Search is down!") == "inc-4-search-is-down"
    assert slug("***") == "postmortem"
    assert len(slug("x" * 500)) == 60


def test_folder_names() -> None:
    from warroom.postmortems.publish import Document

    assert Document("INC-4", "INC-4: Search is down", "", "", b"").folder_name == "INC-4-search-is-down"
    assert Document("INC-4", "Search outage", "", "", b"").folder_name == "INC-4-search-outage"
    assert Document("INC-4", "INC-4", "", "", b"").folder_name == "INC-4-inc-4"


def test_exports_prepared_outside_the_write_are_refused_once_stale(factory: Factory, runtime: Runtime,
                                                                   clock: FakeClock, tmp_path: Path) -> None:
    bob = factory.user("bob")
    story = tell_story(factory, runtime, clock, bob, factory.user("carol"))
    actor = factory.actor(bob)
    target = FolderPublisher(tmp_path / "out")
    with runtime.database.writing() as db:
        postmortems.generate(db=db, actor=actor, ref=story.ref)
    with runtime.database.reading() as db:
        assert postmortems.prepare_publication(db=db, actor=actor, ref=story.ref) is None  # still a draft
    with runtime.database.writing() as db:
        postmortems.update(db=db, actor=actor, ref=story.ref, state="in_review")
    with runtime.database.reading() as db:
        prepared = postmortems.prepare_publication(db=db, actor=actor, ref=story.ref)
    assert prepared is not None
    with runtime.database.writing() as db:
        postmortems.update(db=db, actor=actor, ref=story.ref, body="# Changed meanwhile\n")
    with pytest.raises(Conflict, match="changed while it was being published"), runtime.database.writing() as db:
        postmortems.update(db=db, actor=actor, ref=story.ref, state="published", publisher=target,
                           prepared=prepared)
    assert not (tmp_path / "out").exists()
    with runtime.database.reading() as db:
        fresh = postmortems.prepare_publication(db=db, actor=actor, ref=story.ref)
    with runtime.database.writing() as db:
        done = postmortems.update(db=db, actor=actor, ref=story.ref, state="published", publisher=target,
                                  prepared=fresh)
        assert done.state.value == "published"
    assert (tmp_path / "out" / f"{story.ref}-search-is-down" / "postmortem.md").read_text() == "# Changed meanwhile\n"
