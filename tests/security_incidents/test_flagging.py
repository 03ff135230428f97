"""Flagging an incident as security: the security team added, the playbook attached, private from then on.

Through the flows every transport calls; each refusal leaves every watched row as it was.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.audit.models import AuditEntry
from warroom.core.errors import NotFound, PermissionDenied
from warroom.incidents import flows, visibility
from warroom.incidents import service as incidents
from warroom.playbooks import service as playbooks
from warroom.timeline import service as timeline

from .conftest import SECRET, participants, private_state, snapshot


def room_bodies(runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return [e.body for e in timeline.list_entries(db=db, incident_id=incident_id, limit=1000)]


def attached(runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return [p.slug for p in playbooks.attached_playbooks(db=db, incident_id=incident_id)]


def audit_actions(runtime) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def sees(runtime, factory, user, ref: str) -> bool:
    with runtime.database.reading() as db:
        incident = incidents.get_incident(db=db, ref=ref)
        return visibility.can_see(db=db, actor=factory.actor(user), incident=incident)


def test_declaring_a_security_incident_adds_the_security_team_and_attaches_the_playbook(runtime, factory, cast,
                                                                                         incidents):
    _, private = incidents
    assert participants(runtime, private.id) == {"sam": "security team"}
    assert attached(runtime, private.id) == ["security-disclosure"]
    bodies = room_bodies(runtime, private.id)
    assert any(b.startswith(visibility.PRIVATE_NOTE) and "Security team added: @sam." in b for b in bodies)
    assert "Attached playbook “Security incident and disclosure” (5 steps)" in bodies
    assert "incident.make_private" in audit_actions(runtime)
    assert {h: sees(runtime, factory, cast[h], "INC-2") for h in ("bob", "sam", "alice", "rita", "erin", "vic")} == {
        "bob": True, "sam": True, "alice": True, "rita": False, "erin": False, "vic": False}


def test_flagging_later_makes_a_visible_incident_private_from_then_on(runtime, factory, cast, incidents):
    assert sees(runtime, factory, cast.bob, "INC-1")
    with runtime.database.writing() as db:
        outcome = flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-1", security=True)
    assert outcome.message == "Updated INC-1: security: yes"
    assert private_state(runtime, "INC-1")
    assert not sees(runtime, factory, cast.bob, "INC-1")  # bob saw it a moment ago; he takes no part in it
    assert sees(runtime, factory, cast.rita, "INC-1") and sees(runtime, factory, cast.sam, "INC-1")
    assert participants(runtime, 1) == {"sam": "security team"}
    assert attached(runtime, 1) == ["security-disclosure"]
    # Changing anything in it is now "not found" for bob, as for an incident that does not exist.
    with pytest.raises(NotFound, match=r"No incident INC-1\."), runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(cast.bob), ref="INC-1", text="anyone?")


def test_a_viewer_cannot_flag_and_nothing_is_written(runtime, factory, cast, incidents):
    before = snapshot(runtime)
    with pytest.raises(PermissionDenied, match="viewer access"), runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.vic), ref="INC-1", security=True)
    assert snapshot(runtime) == before
    assert not private_state(runtime, "INC-1")


def test_flagging_an_unknown_incident_says_so_and_writes_nothing(runtime, factory, cast, incidents):
    before = snapshot(runtime)
    with pytest.raises(NotFound, match=r"No incident INC-77\."), runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-77", security=True)
    assert snapshot(runtime) == before


def test_only_the_security_team_or_an_admin_lifts_the_privacy(runtime, factory, cast, incidents):
    before = snapshot(runtime)
    with pytest.raises(PermissionDenied, match="Only the security team or an admin"), \
            runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.bob), ref="INC-2", security=False)
    assert snapshot(runtime) == before
    assert private_state(runtime, "INC-2")
    with runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.sam), ref="INC-2", security=False)
    assert not private_state(runtime, "INC-2")
    assert sees(runtime, factory, cast.rita, "INC-2")
    assert "incident.make_public" in audit_actions(runtime)


def test_without_a_security_team_the_room_says_how_to_get_one(runtime, factory):
    pat = factory.user("pat")
    incident = factory.incident(pat, title=SECRET, security=True)
    bodies = room_bodies(runtime, incident.id)
    assert any("There is no 'security' team yet" in b for b in bodies)
    assert any("No 'security-disclosure' playbook in this installation" in b for b in bodies)
    assert participants(runtime, incident.id) == {}
    assert sees(runtime, factory, pat, incident.ref)


def test_people_paged_into_a_private_incident_take_part(runtime, factory, cast, incidents):
    from warroom.oncall import paging

    assert not sees(runtime, factory, cast.rita, "INC-2")
    with runtime.database.writing() as db:
        paging.page(db=db, actor=factory.actor(cast.bob), description="need a second pair of eyes",
                    target="@rita", incident_ref="INC-2")
    engine = runtime.engine()
    engine.tick()  # the escalation step notifies rita: from then on she is paged into INC-2
    engine.tick()
    assert sees(runtime, factory, cast.rita, "INC-2")


def test_role_holders_and_room_authors_take_part(runtime, factory, cast, incidents):
    with runtime.database.writing() as db:
        flows.assign_role(db=db, actor=factory.actor(cast.bob), ref="INC-2", role="lead", who="@rita")
    assert sees(runtime, factory, cast.rita, "INC-2")
    with runtime.database.writing() as db:  # erin wrote in INC-1's room before it was flagged
        flows.post_message(db=db, actor=factory.actor(cast.erin), ref="INC-1", text="seeing this too")
        flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-1", security=True)
    assert sees(runtime, factory, cast.erin, "INC-1")
    assert not sees(runtime, factory, cast.bob, "INC-1")


def test_leaving_the_security_team_keeps_access_only_to_incidents_one_was_added_to(runtime, factory, cast,
                                                                                 incidents):
    with runtime.database.writing() as db:
        team = accounts.find_team(db=db, name="security")
        assert team is not None
        accounts.remove_member(db=db, actor=factory.system, team=team, user=cast.sam)
    third = factory.incident(cast.bob, title="Another private one", security=True)
    assert sees(runtime, factory, cast.sam, "INC-2")  # added when INC-2 was declared
    assert not sees(runtime, factory, cast.sam, third.ref)
