"""The room is nudged when nobody posts a status update for the severity's threshold."""

from datetime import timedelta

from warroom.incidents import flows
from warroom.timeline import service as timeline


def reminders(runtime, incident_id):
    with runtime.database.reading() as db:
        return [e.body for e in timeline.list_entries(db=db, incident_id=incident_id, limit=500)
                if e.data.get("reminder")]


def test_quiet_rooms_are_reminded_once_per_quiet_period(runtime, factory, clock):
    bob = factory.user("bob")
    critical = factory.incident(bob, "Search down", "critical")
    major = factory.incident(bob, "Slow exports", "major")
    with runtime.database.writing() as db:
        flows.assign_role(db=db, actor=factory.actor(bob), ref=critical.ref, role="lead", who="@bob")
    engine = runtime.engine()
    clock.advance(timedelta(minutes=29))
    engine.tick()
    assert reminders(runtime, critical.id) == []
    clock.advance(timedelta(minutes=1))
    engine.tick()
    engine.tick()
    assert reminders(runtime, critical.id) == [
        "@bob: no status update for 30 minutes. Post one with /incident update … or /incident summary …"]
    assert reminders(runtime, major.id) == []
    with runtime.database.writing() as db:
        flows.post_update(db=db, actor=factory.actor(bob), ref=critical.ref, text="rolled back; watching")
    clock.advance(timedelta(minutes=30))
    engine.tick()
    assert len(reminders(runtime, critical.id)) == 2
    assert len(reminders(runtime, major.id)) == 1
    assert reminders(runtime, major.id)[0].startswith("Incident lead (none assigned yet): no status update for 60")


def test_resolved_incidents_and_a_zero_threshold_are_left_alone(runtime, factory, clock):
    bob = factory.user("bob")
    incident = factory.incident(bob, "Search down", "critical")
    with runtime.database.writing() as db:
        flows.resolve_incident(db=db, actor=factory.actor(bob), ref=incident.ref)
    other = factory.incident(bob, "Other", "critical")
    runtime.settings.status_reminder_critical_minutes = 0
    clock.advance(timedelta(hours=5))
    runtime.engine().tick()
    assert reminders(runtime, incident.id) == [] and reminders(runtime, other.id) == []
