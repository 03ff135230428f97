"""A resolved incident with a story: a lead, messages (two pinned as key events), a severity change, a follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from warroom.accounts.models import User
from warroom.core.clock import FakeClock
from warroom.followups import service as followups
from warroom.incidents import flows
from warroom.incidents.models import Incident
from warroom.postmortems import service as postmortems
from warroom.roles.models import LEAD, MESSENGER
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from ..factories import Factory


@dataclass(frozen=True)
class Story:
    incident: Incident
    ref: str
    key_entry_ids: list[int]


def tell_story(factory: Factory, runtime: Runtime, clock: FakeClock, reporter: User, helper: User,
               **declare: object) -> Story:
    actor = factory.actor(reporter)
    incident = factory.incident(reporter, title="Search is down", customer_impact=True,
                                affected_services=["search", "api"], **declare)
    ref = incident.ref
    with runtime.database.writing() as db:
        clock.advance(timedelta(minutes=3))
        flows.assign_role(db=db, actor=actor, ref=ref, role=LEAD, who=f"@{reporter.handle}")
        flows.assign_role(db=db, actor=actor, ref=ref, role=MESSENGER, who=f"@{helper.handle}")
    with runtime.database.writing() as db:
        clock.advance(timedelta(minutes=4))
        noise = flows.post_message(db=db, actor=actor, ref=ref, text="Looking at the dashboards")
        clock.advance(timedelta(minutes=6))
        found = flows.post_message(db=db, actor=actor, ref=ref, text="Index shard 3 is full <disk>")
        clock.advance(timedelta(minutes=2))
        fix = flows.post_message(db=db, actor=actor, ref=ref, text="Rolled back the\nindexer to 4.1")
        db.flush()
        noise_id, found_id, fix_id = noise.id, found.id, fix.id
    with runtime.database.writing() as db:
        flows.pin_entry(db=db, actor=actor, ref=ref, entry_id=found_id)
        flows.pin_entry(db=db, actor=actor, ref=ref, entry_id=fix_id)
        clock.advance(timedelta(minutes=5))
        flows.change_severity(db=db, actor=actor, ref=ref, severity="major")
        flows.set_summary(db=db, actor=actor, ref=ref, summary="Search returned errors for 40 minutes.")
        followups.create_followup(db=db, actor=actor, ref=ref, text="Alert on shard disk usage",
                                  owner=f"@{helper.handle}")
    with runtime.database.writing() as db:
        clock.advance(timedelta(minutes=20))
        flows.resolve_incident(db=db, actor=actor, ref=ref, text="Search is back")
    assert noise_id not in (found_id, fix_id)
    return Story(incident, ref, [found_id, fix_id])


def room_key_events(runtime: Runtime, incident_id: int) -> list[tuple[str, str]]:
    """Straight from the timeline table: pinned entries and milestones, with their UTC minute."""
    kinds = {"declared", "severity_changed", "status_changed", "role_assigned", "resolved"}
    with runtime.database.reading() as db:
        rows = db.scalars(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
                          .order_by(TimelineEntry.id))
        return [(e.created_at.strftime("%Y-%m-%d %H:%M UTC"), " ".join(e.body.split())) for e in rows
                if e.pinned or e.kind.value in kinds]


def timeline_section(body: str) -> list[str]:
    return [line for line in postmortems.sections(body)["timeline"] if line.strip()]


@pytest.fixture
def publish_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "postmortems"


from ..api.conftest import team  # noqa: E402, F401  (the API test team: alice, bob, carol, vic)
