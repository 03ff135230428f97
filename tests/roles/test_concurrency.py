"""Two people assigning the lead at the same moment: one consistent result, both attempts recorded."""

import threading

import pytest

from warroom.incidents import flows
from warroom.incidents import service as incidents
from warroom.roles import service as roles
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind


def lead_entries(runtime, incident_id):
    with runtime.database.reading() as db:
        return [e for e in timeline.list_entries(db=db, incident_id=incident_id, limit=500)
                if e.kind is EntryKind.role_assigned]


def current_lead(runtime, incident_id):
    with runtime.database.reading() as db:
        return [(a.role, u.handle) for a, u in roles.holders(db=db, incident_id=incident_id)]


def test_simultaneous_lead_assignments_both_land_in_order(runtime, factory):
    bob, dan = factory.user("bob"), factory.user("dan")
    incidents_made = [factory.incident(factory.user("pat")) for _ in range(1)]
    incidents_made += [factory.incident(bob) for _ in range(9)]
    errors: list[BaseException] = []

    def assign(who, ref, barrier):
        barrier.wait()
        try:
            with runtime.database.writing() as db:
                flows.assign_role(db=db, actor=factory.actor(who), ref=ref, role="lead", who=f"@{who.handle}")
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    for incident in incidents_made:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=assign, args=(u, incident.ref, barrier)) for u in (bob, dan)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert errors == []
        entries = lead_entries(runtime, incident.id)
        assert len(entries) == 2
        first, second = entries
        final = current_lead(runtime, incident.id)
        assert len(final) == 1
        # The timeline tells the story the final state shows: the second assignment replaced the first.
        assert final[0][1] == second.data["user"]
        assert second.data["previous"] == first.data["user"]


@pytest.mark.postgres_only
def test_a_change_waits_for_the_row_lock_and_sees_the_first_result(runtime, factory):
    bob, dan = factory.user("bob"), factory.user("dan")
    incident = factory.incident(factory.user("pat"))
    holding = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def first():
        with runtime.database.writing() as db:
            incidents.lock_incident(db=db, ref=incident.ref)
            holding.set()
            release.wait(timeout=30)
            flows.assign_role(db=db, actor=factory.actor(bob), ref=incident.ref, role="lead", who="@bob")

    def second():
        holding.wait(timeout=30)
        with runtime.database.writing() as db:
            flows.assign_role(db=db, actor=factory.actor(dan), ref=incident.ref, role="lead", who="@dan")
        finished.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    holding.wait(timeout=30)
    assert not finished.wait(timeout=1.0), "the second change must wait for the first transaction's row lock"
    release.set()
    for t in threads:
        t.join(timeout=30)
    assert finished.is_set()
    assert current_lead(runtime, incident.id) == [("lead", "dan")]
    assert [(e.data["user"], e.data["previous"]) for e in lead_entries(runtime, incident.id)] == [
        ("bob", None), ("dan", "bob")]
