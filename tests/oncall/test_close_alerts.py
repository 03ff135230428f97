"""Closing an incident stops the pages sent from it: each open one is closed, and the room says why."""

from __future__ import annotations

from warroom.accounts.models import AccessRole
from warroom.commands.runner import run_command
from warroom.core.actor import Actor
from warroom.incidents import flows
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertStatus
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind


def test_closing_an_incident_closes_the_pages_sent_from_it(runtime, factory):
    bob = factory.actor(factory.user("bob", teams=("engineering",)))
    factory.user("carol", teams=("customer-support",))
    factory.user("alice", AccessRole.admin, teams=("engineering",))
    incident = factory.incident(factory.user("pat", teams=("product",)), title="Checkout is down")
    with runtime.database.writing() as db:
        run_command(db=db, actor=bob, text="/genie alert checkout is down, please help for customer-support",
                    incident_ref=incident.ref)
        acked = run_command(db=db, actor=bob, text="/genie alert need a DBA for @alice", incident_ref=incident.ref)
        answered = int(acked.message.split("#")[1].split()[0].rstrip(").:,"))
        alerts.acknowledge(db=db, actor=bob, alert_id=answered)
        # A monitoring tool's alert attached to the incident is left to its tool.
        monitored = alerts.raise_alert(db=db, actor=Actor.system(runtime.clock), spec=alerts.AlertSpec(
            message="checkout 5xx > 5%", source="prometheus", incident_id=incident.id)).alert_id

    with runtime.database.writing() as db:
        flows.resolve_incident(db=db, actor=bob, ref=incident.ref, text="rolled back")
    with runtime.database.writing() as db:
        flows.close_incident(db=db, actor=factory.actor(factory.user("root", AccessRole.admin)), ref=incident.ref,
                             reason="test: close with steps open")

    with runtime.database.reading() as db:
        tied, _ = alerts.list_alerts(db=db, incident_id=incident.id)
        status = {a.id: a.status for a in tied}
        pages = sorted(a.id for a in tied if a.source == "genie")
        assert len(pages) == 2 and answered in pages
        assert all(status[page] is AlertStatus.closed for page in pages)
        assert status[monitored] is AlertStatus.open
        why = [e.body for e in alerts.events(db=db, alert_id=pages[0]) if e.kind == "closed"]
        assert why and f"{incident.ref} is closed" in why[0]
        said = [e.body for e in timeline.list_entries(db=db, incident_id=incident.id, limit=1000)
                if e.kind is EntryKind.system and "nobody is paged" in e.body]
    assert said == [f"Closed the pages still open (alert #{pages[0]}, #{pages[1]}): the incident is closed, "
                    "so nobody is paged for it any more"]
