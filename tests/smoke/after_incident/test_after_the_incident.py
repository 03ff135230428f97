"""After the incident, end to end through the API, the engine, GitHub's webhook and a real SMTP server.

Resolve → the related public issue is commented on and closed → the postmortem is generated (its timeline is the
room's key events) and published as Markdown, HTML and PDF → two follow-ups, one as a new GitHub issue and one
linked → a signed webhook closing the issue resolves its follow-up, an unsigned or replayed one is refused →
a retrospective invite arrives as a valid .ics → every post-resolution step has ticked itself → the incident
closes without an override.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pypdf
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.checklists.models import ChecklistItem
from warroom.core.clock import FakeClock
from warroom.postmortems import service as postmortems
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ...api.conftest import Team, declare
from ...followups.conftest import REPO, WEBHOOK_SECRET, FakeGithub
from ...notifications.servers import Inbox
from ...retrospectives.conftest import invite_of
from ...support import drain

PUBLIC_REPO = "acme/search"
WEBHOOK = "/api/v1/integrations/github/webhook"


def _ticks(runtime: Runtime, incident_id: int) -> dict[str, str]:
    with runtime.database.reading() as db:
        rows = db.scalars(sa.select(ChecklistItem).where(ChecklistItem.incident_id == incident_id))
        return {item.key: item.state.value for item in rows}


def _key_events(runtime: Runtime, incident_id: int) -> list[str]:
    """Straight from the room: pinned entries and the milestones a postmortem's timeline keeps."""
    kinds = {"declared", "severity_changed", "status_changed", "role_assigned", "resolved"}
    with runtime.database.reading() as db:
        entries = db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                             .order_by(TimelineEntry.id))
        return [f"- {e.created_at:%Y-%m-%d %H:%M} UTC — {' '.join(e.body.split())}" for e in entries
                if e.pinned or e.kind.value in kinds]


def _webhook(client: TestClient, action: str, number: int, delivery: str, *, signed: bool = True) -> httpx.Response:
    body = json.dumps({"action": action, "issue": {"number": number, "state": "closed"},
                       "repository": {"full_name": REPO}, "sender": {"login": "octocat"}}).encode()
    headers = {"content-type": "application/json", "x-github-event": "issues", "x-github-delivery": delivery}
    if signed:
        headers["x-hub-signature-256"] = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body,
                                                              hashlib.sha256).hexdigest()
    response: httpx.Response = client.post(WEBHOOK, content=body, headers=headers)
    return response


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def _run_the_incident(team: Team, clock: FakeClock, github: FakeGithub) -> dict[str, Any]:
    incident: dict[str, Any] = declare(team.as_bob, customer_impact=False)["incident"]
    ref = incident["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/roles", {"role": "lead", "user": "@bob"})
    clock.advance(timedelta(minutes=4))
    team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": "Looking at the dashboards"}, status=201)
    clock.advance(timedelta(minutes=5))
    found = team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": "Shard 3 is out of disk"}, status=201)
    clock.advance(timedelta(minutes=3))
    fix = team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": "Moved shard 3; search answers"},
                         status=201)
    for entry in (found, fix):
        team.as_bob.ok("put", f"/incidents/{ref}/pins/{entry['id']}")
    github.add_issue(PUBLIC_REPO, 700, "Search returns nothing")
    team.as_bob.ok("post", f"/incidents/{ref}/github-issues",
                   {"issue": f"{PUBLIC_REPO}#700", "close_on_resolve": True}, status=201)
    clock.advance(timedelta(minutes=10))
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {"text": "Shard moved to a larger disk"})
    return incident


def test_from_resolve_to_close_every_step_ticks_itself(team: Team, runtime: Runtime, client: TestClient,
                                                       clock: FakeClock, github: FakeGithub,
                                                       inbox: Inbox) -> None:
    incident = _run_the_incident(team, clock, github)
    ref, incident_id = incident["ref"], incident["id"]

    # The related public issue hears of the resolution and is closed (the engine runs what is due now).
    drain(runtime, limit=10)
    [comment] = [c for c in github.comments if c["issue"] == 700]
    assert f"{ref} resolved" in comment["body"]
    assert github.issues[(PUBLIC_REPO, 700)]["state"] == "closed"

    # The postmortem: drafted from the room, its timeline exactly the room's key events.
    made = team.as_bob.ok("post", f"/incidents/{ref}/postmortem", status=201)
    timeline = [line for line in postmortems.sections(made["body"])["timeline"] if line.strip()]
    expected = _key_events(runtime, incident_id)
    assert len(timeline) == len(expected) == 5  # declared, the lead, the two pinned messages, resolved
    for line, event in zip(timeline, expected, strict=True):
        assert line.startswith(event), (line, event)
    assert any("Shard 3 is out of disk" in line for line in timeline)
    assert not any("Looking at the dashboards" in line for line in timeline)
    team.as_bob.ok("post", f"/incidents/{ref}/postmortem/comments", {"body": "Add the disk graphs"}, status=201)
    lesson = "Watch disk on every shard, not the cluster average"
    edited = made["body"].replace("## Lessons\n", f"## Lessons\n\n- {lesson}\n", 1)
    assert edited != made["body"]
    team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"body": edited})
    team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"state": "in_review"})
    published = team.as_bob.ok("patch", f"/incidents/{ref}/postmortem", {"state": "published"})
    folder = Path(published["published_to"])
    assert "Moved shard 3; search answers" in (folder / "postmortem.md").read_text()
    tags = Tags()
    tags.feed((folder / "postmortem.html").read_text())
    assert "h1" in tags.tags and tags.tags.count("li") >= len(timeline)
    pdf = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(folder / "postmortem.pdf").pages)
    assert f"Postmortem {ref}" in pdf and "Shard 3 is out of disk" in pdf

    # Two follow-ups: one as a new GitHub issue, one linked to an existing issue.
    github.add_issue(REPO, 812, "Alert on shard disk usage")
    new = team.as_bob.ok("post", f"/incidents/{ref}/followups",
                         {"text": "Bigger disks for search shards", "owner": "@carol", "github": "new"}, status=201)
    linked = team.as_bob.ok("post", f"/incidents/{ref}/followups",
                            {"text": "Alert on shard disk usage", "github": f"{REPO}#812"}, status=201)
    drain(runtime, limit=10)
    [created] = github.created()
    assert created["title"] == f"[{ref}] Bigger disks for search shards"
    items = {f["id"]: f for f in team.as_bob.ok("get", f"/incidents/{ref}/followups")["items"]}
    assert items[new["id"]]["github"]["number"] == created["number"]
    assert items[linked["id"]]["github"]["number"] == 812

    # GitHub closes #812: only a signed, first delivery counts.
    assert _webhook(client, "closed", 812, "d-unsigned", signed=False).status_code == 401
    assert _webhook(client, "closed", 812, "d-1").status_code == 200
    assert _webhook(client, "closed", 812, "d-1").status_code == 409
    items = {f["id"]: f for f in team.as_bob.ok("get", f"/incidents/{ref}/followups")["items"]}
    assert items[linked["id"]]["status"] == "done"
    assert items[new["id"]]["status"] == "open"

    # The retrospective invite arrives at the SMTP server as a calendar invite.
    starts = (clock.now() + timedelta(days=2)).replace(microsecond=0)
    team.as_bob.ok("post", f"/incidents/{ref}/retrospective", {"starts_at": starts.isoformat(), "minutes": 45},
                   status=201)
    drain(runtime, limit=10)
    mail = next(m for m in inbox.received if m.rcpt_tos == [team.bob.email])
    _, event, method = invite_of(mail)
    assert method == "REQUEST"
    assert event.decoded("dtstart") == starts
    assert str(event.get("summary")).startswith(f"Retrospective: {ref}")
    assert lesson in str(event.get("description"))  # the agenda carries the postmortem's lessons

    # Every post-resolution step ticked itself; the incident closes without an override.
    ticks = _ticks(runtime, incident_id)
    for key in ("github_issues_updated", "postmortem_generated", "retrospective_scheduled", "followups_created"):
        assert ticks[key] == "done", (key, ticks)
    closed = team.as_bob.ok("post", f"/incidents/{ref}/close", {})
    assert closed["incident"]["status"] == "closed"
    assert _ticks(runtime, incident_id)["room_archived"] == "done"
