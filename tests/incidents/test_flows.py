"""The handbook's steps, run through the flows every transport shares."""

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole
from warroom.announcements.models import Announcement
from warroom.audit.models import AuditEntry
from warroom.checklists import service as checklists
from warroom.checklists.models import ItemState
from warroom.core.errors import ChecklistIncomplete, Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.incidents import flows
from warroom.incidents.models import Incident, Resolution, Status
from warroom.roles import service as roles
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind, TimelineEntry

from .. import support


@pytest.fixture
def people(factory):
    return support.people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                                    "carol": "customer-support", "pat": "product", "vic": AccessRole.viewer})


def counts(runtime):
    with runtime.database.reading() as db:
        return tuple(db.scalar(sa.select(sa.func.count()).select_from(t))
                     for t in (Incident, TimelineEntry, AuditEntry, Announcement))


def entries(runtime, incident_id):
    with runtime.database.reading() as db:
        return timeline.list_entries(db=db, incident_id=incident_id, limit=1000)


def run(runtime, flow, **kwargs):
    with runtime.database.writing() as db:
        return flow(db=db, **kwargs)


def test_declare_records_room_checklist_announcement_and_audit(runtime, factory, people):
    outcome = run(runtime, flows.declare_incident, actor=factory.actor(people["pat"]),
                  title="  Sign-in   is down ", severity="Critical", customer_impact=True,
                  affected_services=["Auth", "web", "auth"], external_reporter="acme@customer.example")
    incident = outcome.incident
    assert incident.ref == "INC-1"
    assert incident.title == "Sign-in is down"
    assert incident.status is Status.investigating
    assert incident.affected_services == ["auth", "web"]
    kinds = [e.kind for e in entries(runtime, incident.id)]
    assert kinds[0] is EntryKind.declared
    assert EntryKind.checklist not in kinds  # "declared" is done by the declaration itself, no extra entry
    assert any("acknowledge to them" in step for step in outcome.data["next_steps"])
    with runtime.database.reading() as db:
        items = {i.key: i for i in checklists.list_items(db=db, incident_id=incident.id)}
        assert items["declared"].state is ItemState.done
        assert items["acknowledge_reporter"].required  # reported from outside
        assert items["comms_confirmed"].required  # customer impact
        assert not items["retrospective_scheduled"].required
        announcement = db.scalar(sa.select(Announcement))
        assert announcement is not None and announcement.text.startswith("New incident INC-1 [critical]")
        assert db.scalar(sa.select(AuditEntry.action).where(AuditEntry.target_id == "INC-1")) == "incident.declare"


@pytest.mark.parametrize(
    ("severity", "message"),
    [("minor", "normal support"), ("sev2", "normal support"), ("catastrophic", "Unknown severity"),
     ("", "Unknown severity")],
)
def test_declare_refuses_bad_severity_and_writes_nothing(runtime, factory, people, severity, message):
    before = counts(runtime)
    with pytest.raises(ValidationFailed) as caught:
        run(runtime, flows.declare_incident, actor=factory.actor(people["bob"]), title="x", severity=severity)
    assert message in caught.value.message
    assert counts(runtime) == before


def test_declare_refuses_empty_title_bad_services_and_viewers(runtime, factory, people):
    before = counts(runtime)
    with pytest.raises(ValidationFailed, match="cannot be empty"):
        run(runtime, flows.declare_incident, actor=factory.actor(people["bob"]), title="   ", severity="major")
    with pytest.raises(ValidationFailed, match="Service name"):
        run(runtime, flows.declare_incident, actor=factory.actor(people["bob"]), title="x", severity="major",
            affected_services=["bad service!"])
    with pytest.raises(PermissionDenied, match="viewer"):
        run(runtime, flows.declare_incident, actor=factory.actor(people["vic"]), title="x", severity="major")
    assert counts(runtime) == before


def test_lead_assignment_thanks_reporter_and_ack_sets_mtta(runtime, factory, people, clock):
    from datetime import timedelta

    incident = factory.incident(people["pat"])
    clock.advance(timedelta(minutes=4))
    run(runtime, flows.assign_role, actor=factory.actor(people["bob"]), ref=incident.ref, role="lead", who="@bob")
    with pytest.raises(PermissionDenied, match="Only the incident lead"):
        run(runtime, flows.acknowledge, actor=factory.actor(people["carol"]), ref=incident.ref)
    clock.advance(timedelta(minutes=1))
    run(runtime, flows.acknowledge, actor=factory.actor(people["bob"]), ref=incident.ref)
    bodies = [e.body for e in entries(runtime, incident.id)]
    assert "@bob is the incident lead" in bodies
    assert "Thank you @pat for identifying this incident." in bodies
    assert "I'm on it" in bodies
    with runtime.database.reading() as db:
        stored = db.get(Incident, incident.id)
        assert stored is not None
        assert stored.acknowledged_at - stored.declared_at == timedelta(minutes=5)
        assert checklists.get_item(db=db, incident_id=incident.id, key="roles_identified").state is ItemState.done


def test_reassigning_the_lead_records_both_and_clears_ack(runtime, factory, people):
    incident = factory.incident(people["pat"])
    actor = factory.actor(people["alice"])
    run(runtime, flows.assign_role, actor=actor, ref=incident.ref, role="lead", who="bob")
    run(runtime, flows.assign_role, actor=actor, ref=incident.ref, role="lead", who="alice@example.com")
    with runtime.database.reading() as db:
        holders = roles.holders(db=db, incident_id=incident.id)
    assert [(a.role, u.handle, a.acknowledged_at) for a, u in holders] == [("lead", "alice", None)]
    assert "@alice is the incident lead (was @bob)" in [e.body for e in entries(runtime, incident.id)]


def test_messenger_outside_support_or_without_customer_impact_is_warned_not_refused(runtime, factory, people):
    incident = factory.incident(people["pat"], customer_impact=False)
    outcome = run(runtime, flows.assign_role, actor=factory.actor(people["bob"]), ref=incident.ref,
                  role="messenger", who="@bob")
    assert len(outcome.warnings) == 2
    assert "customer-facing impact" in outcome.warnings[0]
    assert "member of customer support" in outcome.warnings[1]
    fine = factory.incident(people["pat"], customer_impact=True)
    outcome = run(runtime, flows.assign_role, actor=factory.actor(people["bob"]), ref=fine.ref,
                  role="messenger", who="@carol")
    assert outcome.warnings == []


def test_unknown_user_and_unknown_incident_write_nothing(runtime, factory, people):
    incident = factory.incident(people["pat"])
    before = counts(runtime)
    with pytest.raises(NotFound, match="No user '@nobody'"):
        run(runtime, flows.assign_role, actor=factory.actor(people["bob"]), ref=incident.ref, role="lead",
            who="@nobody")
    with pytest.raises(NotFound, match="No incident"):
        run(runtime, flows.set_summary, actor=factory.actor(people["bob"]), ref="INC-99", summary="x")
    assert counts(runtime) == before


def test_structured_updates_and_summary(runtime, factory, people):
    incident = factory.incident(people["pat"])
    actor = factory.actor(people["bob"])
    run(runtime, flows.post_update, actor=actor, ref=incident.ref, kind="plan", text="roll back release 4.2.")
    run(runtime, flows.post_update, actor=actor, ref=incident.ref, kind="tried", text="a rollback",
        result="errors stopped")
    run(runtime, flows.set_summary, actor=actor, ref=incident.ref, summary="Release 4.2 broke search.")
    with pytest.raises(ValidationFailed, match="resulted in"):
        run(runtime, flows.post_update, actor=actor, ref=incident.ref, kind="tried", text="x")
    bodies = [e.body for e in entries(runtime, incident.id)]
    assert "I plan to roll back release 4.2" in bodies
    assert "We tried a rollback, which resulted in errors stopped" in bodies
    assert "Summary: Release 4.2 broke search." in bodies


def test_status_severity_resolve_close_archive(runtime, factory, people):
    incident = factory.incident(people["pat"], severity="major")
    bob = factory.actor(people["bob"])
    run(runtime, flows.set_status, actor=bob, ref=incident.ref, status="identified", text="bad deploy")
    run(runtime, flows.change_severity, actor=bob, ref=incident.ref, severity="critical")
    with pytest.raises(Conflict, match="resolve it first"):
        run(runtime, flows.close_incident, actor=bob, ref=incident.ref)
    run(runtime, flows.resolve_incident, actor=bob, ref=incident.ref, text="rolled back")
    with pytest.raises(ChecklistIncomplete) as caught:
        run(runtime, flows.close_incident, actor=bob, ref=incident.ref)
    assert set(caught.value.missing) == {"roles_identified", "github_issues_updated", "postmortem_generated",
                                         "followups_created"}
    for key in caught.value.missing:
        run(runtime, flows.set_checklist_item, actor=bob, ref=incident.ref, key=key, state="skipped",
            note="demo")
    run(runtime, flows.close_incident, actor=bob, ref=incident.ref)
    with runtime.database.reading() as db:
        stored = db.get(Incident, incident.id)
        assert stored is not None and stored.status is Status.closed and stored.is_archived
        assert all(i.is_settled for i in checklists.list_items(db=db, incident_id=incident.id)
                   if i.required)
        announced = [a.kind for a in db.scalars(sa.select(Announcement).order_by(Announcement.id))]
    assert announced == ["declared", "status_changed", "severity_changed", "resolved", "closed"]
    before = counts(runtime)
    with pytest.raises(Conflict, match="archived"):
        run(runtime, flows.post_message, actor=bob, ref=incident.ref, text="late message")
    assert counts(runtime) == before


def test_skipping_needs_a_reason(runtime, factory, people):
    incident = factory.incident(people["pat"])
    with pytest.raises(ValidationFailed, match="Say why"):
        run(runtime, flows.set_checklist_item, actor=factory.actor(people["bob"]), ref=incident.ref,
            key="paged", state="skipped")


def test_close_override_is_admin_only_and_recorded(runtime, factory, people):
    incident = factory.incident(people["pat"])
    bob = factory.actor(people["bob"])
    run(runtime, flows.resolve_incident, actor=bob, ref=incident.ref, false_positive=True)
    with pytest.raises(PermissionDenied, match="Only an admin"):
        run(runtime, flows.close_incident, actor=bob, ref=incident.ref, reason="no time")
    run(runtime, flows.close_incident, actor=factory.actor(people["alice"]), ref=incident.ref,
        reason="False positive; nothing to follow up")
    with runtime.database.reading() as db:
        stored = db.get(Incident, incident.id)
        assert stored is not None
        assert stored.resolution is Resolution.false_positive
        assert stored.close_override_reason == "False positive; nothing to follow up"
        audit = db.scalars(sa.select(AuditEntry).where(AuditEntry.action == "incident.close")).one()
        assert audit.detail == {"override": True, "reason": "False positive; nothing to follow up"}


def test_reopening_a_resolved_incident_clears_resolution(runtime, factory, people):
    incident = factory.incident(people["pat"])
    bob = factory.actor(people["bob"])
    run(runtime, flows.resolve_incident, actor=bob, ref=incident.ref)
    run(runtime, flows.set_status, actor=bob, ref=incident.ref, status="investigating", text="it is back")
    with runtime.database.reading() as db:
        stored = db.get(Incident, incident.id)
        assert stored is not None and stored.resolution is None and stored.resolved_at is None


def test_pin_marks_a_key_event(runtime, factory, people):
    incident = factory.incident(people["pat"])
    bob = factory.actor(people["bob"])
    message = run(runtime, flows.post_message, actor=bob, ref=incident.ref, text="Rollback started 14:02")
    run(runtime, flows.pin_entry, actor=bob, ref=incident.ref, entry_id=message.id)
    with runtime.database.reading() as db:
        pinned = timeline.list_entries(db=db, incident_id=incident.id, pinned_only=True)
    assert [e.body for e in pinned] == ["Rollback started 14:02"]
    other = factory.incident(people["pat"])
    with pytest.raises(NotFound):
        run(runtime, flows.pin_entry, actor=bob, ref=other.ref, entry_id=message.id)


def test_details_change_follows_checklist_requirements(runtime, factory, people):
    incident = factory.incident(people["pat"], customer_impact=False)
    run(runtime, flows.update_details, actor=factory.actor(people["bob"]), ref=incident.ref,
        customer_impact=True, security=True)
    with runtime.database.reading() as db:
        assert checklists.get_item(db=db, incident_id=incident.id, key="comms_confirmed").required
    bodies = [e.body for e in entries(runtime, incident.id)]
    assert "Changed customer impact: yes, security: yes" in bodies
    assert any("loop in the security team" in b for b in bodies)


def test_playbooks_suggested_attached_and_tracked(runtime, factory, people):
    factory.playbooks()
    outcome = run(runtime, flows.declare_incident, actor=factory.actor(people["pat"]),
                  title="Bad deploy broke checkout", severity="major", affected_services=["api"])
    assert outcome.data["suggested_playbooks"][0] == "roll-back-a-bad-deploy"
    run(runtime, flows.attach_playbook, actor=factory.actor(people["bob"]), ref=outcome.incident.ref,
        slug="roll-back-a-bad-deploy")
    with runtime.database.reading() as db:
        keys = [i.key for i in checklists.list_items(db=db, incident_id=outcome.incident.id)]
    assert "roll-back-a-bad-deploy-1" in keys
    with pytest.raises(Conflict, match="already attached"):
        run(runtime, flows.attach_playbook, actor=factory.actor(people["bob"]), ref=outcome.incident.ref,
            slug="roll-back-a-bad-deploy")
    with pytest.raises(NotFound, match="No playbook"):
        run(runtime, flows.attach_playbook, actor=factory.actor(people["bob"]), ref=outcome.incident.ref,
            slug="nope")


def test_timeline_pages_back_in_order(runtime, factory, people):
    incident = factory.incident(people["pat"])
    bob = factory.actor(people["bob"])
    for n in range(30):
        run(runtime, flows.post_message, actor=bob, ref=incident.ref, text=f"m{n}")
    with runtime.database.reading() as db:
        latest = timeline.list_entries(db=db, incident_id=incident.id, limit=10)
        earlier = timeline.list_entries(db=db, incident_id=incident.id, before_id=latest[0].id, limit=10)
        newer = timeline.list_entries(db=db, incident_id=incident.id, after_id=earlier[-1].id, limit=5)
    assert [e.body for e in latest] == [f"m{n}" for n in range(20, 30)]
    assert [e.body for e in earlier] == [f"m{n}" for n in range(10, 20)]
    assert [e.body for e in newer] == [f"m{n}" for n in range(20, 25)]
    assert all(e.actor_handle == "bob" for e in latest)
