"""The read models the transports share keep private security incidents private (ADR 0004).

``incidents.queries.visible_incident`` and ``oncall.alerts.queries`` are what the REST API and the web pages
read through; here they are asked directly, as each side of the rule.
"""

from __future__ import annotations

import pytest

from warroom.core.errors import NotFound
from warroom.incidents import queries as incident_queries
from warroom.oncall.alerts import queries as alert_queries
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.service import AlertSpec
from warroom.runtime import Runtime

from ..factories import Factory
from .conftest import BLIND, SECRET, SEES, Cast


@pytest.fixture
def private_alert(runtime: Runtime, factory: Factory, cast: Cast, incidents) -> int:
    with runtime.database.writing() as db:
        raised = alerts.raise_alert(db=db, actor=factory.actor(cast.bob), spec=AlertSpec(
            message=SECRET, alias="", description=SECRET, priority=alerts.parse_priority("P1"), source="api",
            entity="", tags=[], details={"key": SECRET}, responders=[{"type": "user", "id": cast.sam.id}],
            team_id=None, escalation_policy_id=None, incident_id=incidents[1].id))
    return raised.alert_id


def test_a_private_incident_is_not_found_by_those_who_may_not_see_it(runtime, factory, cast, incidents):
    with runtime.database.reading() as db:
        for handle in SEES:
            assert incident_queries.visible_incident(db=db, actor=factory.actor(cast[handle]), ref="INC-2").id == (
                incidents[1].id)
        for handle in BLIND:
            with pytest.raises(NotFound) as hidden:
                incident_queries.visible_incident(db=db, actor=factory.actor(cast[handle]), ref="INC-2")
            with pytest.raises(NotFound) as missing:
                incident_queries.visible_incident(db=db, actor=factory.actor(cast[handle]), ref="INC-3")
            assert hidden.value.message == "No incident INC-2."
            assert (hidden.value.status, hidden.value.field) == (missing.value.status, missing.value.field)


def test_alerts_of_a_private_incident_are_read_redacted_by_those_who_may_not_see_it(
        runtime, factory, cast, private_alert):
    with runtime.database.reading() as db:
        for handle in BLIND:
            actor = factory.actor(cast[handle])
            listed = alert_queries.list_readable(db=db, actor=actor)
            one = alert_queries.readable(db=db, actor=actor, alert=alerts.find_alert(db=db,
                                                                                     identifier=str(private_alert)))
            shown = [a for a in listed.rows if a.id == private_alert] + [one.alert]
            assert len(shown) == 2 and listed.total == 1
            assert one.private and all(SECRET not in (a.message + a.description + str(a.details)) for a in shown)
            assert all(a.incident_id is None for a in shown)
            events = alert_queries.timeline(db=db, alert_id=private_alert, private=one.private)
            assert events and all(SECRET not in e.body for e in events)
        for handle in SEES:
            actor = factory.actor(cast[handle])
            one = alert_queries.readable(db=db, actor=actor, alert=alerts.find_alert(db=db,
                                                                                     identifier=str(private_alert)))
            assert not one.private and one.alert.message == SECRET
            assert one.names[("user", cast.sam.id)] == "sam"
