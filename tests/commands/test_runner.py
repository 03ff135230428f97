"""Commands run the same flows as every other door."""

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole
from warroom.commands.language import CommandError
from warroom.commands.runner import run_command
from warroom.core.errors import ChecklistIncomplete, NotFound, PermissionDenied
from warroom.incidents.models import Incident, Status
from warroom.timeline.models import TimelineEntry


def command(runtime, actor, text, ref=None):
    with runtime.database.writing() as db:
        return run_command(db=db, actor=actor, text=text, incident_ref=ref)


def test_the_handbook_lifecycle_by_commands(runtime, factory):
    bob = factory.actor(factory.user("bob", teams=("engineering",)))
    carol = factory.user("carol", teams=("customer-support",))
    declared = command(runtime, bob, "/incident declare Search is down --critical --customer-impact")
    ref = declared.incident_ref
    assert ref == "INC-1"
    for text in ["/incident lead @bob", "/incident ack", f"/incident messenger @{carol.handle}",
                 "/incident plan roll back the search release", "/incident status identified bad release",
                 "/incident tried the rollback --result search works again",
                 "/incident summary Release 4.2 broke search; rolled back", "/incident severity major",
                 "/incident status monitoring", "/incident resolve fixed by rollback",
                 "/incident tick comms_confirmed", "/incident skip github_issues_updated no public issues",
                 "/incident tick postmortem_generated", "/incident tick followups_created",
                 "/incident close"]:
        result = command(runtime, bob, text, ref)
        assert result.incident_ref == ref, text
    with runtime.database.reading() as db:
        incident = db.get(Incident, 1)
        assert incident is not None and incident.status is Status.closed and incident.is_archived


def test_commands_need_an_incident_outside_a_room(runtime, factory):
    bob = factory.actor(factory.user("bob"))
    with pytest.raises(CommandError, match="--incident INC-42"):
        command(runtime, bob, "/incident lead @bob")
    factory.incident(factory.user("pat"))
    assert command(runtime, bob, "/incident lead @bob --incident INC-1").incident_ref == "INC-1"


def test_domain_errors_carry_the_usage_line_and_write_nothing(runtime, factory):
    bob = factory.actor(factory.user("bob"))
    factory.incident(factory.user("pat"))
    with runtime.database.reading() as db:
        before = db.scalar(sa.select(sa.func.count()).select_from(TimelineEntry))
    with pytest.raises(NotFound) as caught:
        command(runtime, bob, "/incident lead @ghost", "INC-1")
    assert caught.value.hint == "/incident lead @user"
    command(runtime, bob, "/incident resolve", "INC-1")
    with pytest.raises(ChecklistIncomplete):
        command(runtime, bob, "/incident close", "INC-1")
    with pytest.raises(CommandError, match="Give a severity"):
        command(runtime, bob, "/incident declare something broke")
    with runtime.database.reading() as db:
        after = db.scalar(sa.select(sa.func.count()).select_from(TimelineEntry))
    assert after == before + 1  # the resolve's entry; the failed commands wrote nothing


def test_viewer_commands_are_refused(runtime, factory):
    vic = factory.actor(factory.user("vic", AccessRole.viewer))
    factory.incident(factory.user("pat"))
    with pytest.raises(PermissionDenied):
        command(runtime, vic, "/incident summary hi", "INC-1")
    assert "/incident declare" in command(runtime, vic, "/incident help").message
