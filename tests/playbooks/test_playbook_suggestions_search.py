"""The README's own example gets a playbook: "roll back first" fits any affected service; a mistyped name gets
a did-you-mean."""

from __future__ import annotations

import re

import pytest

from warroom.core.errors import NotFound
from warroom.incidents import flows
from warroom.playbooks import service as playbooks

from .. import support


@pytest.fixture
def people(factory):
    return support.people(factory, support.HANDBOOK)


def run(runtime, flow, **kwargs):
    with runtime.database.writing() as db:
        return flow(db=db, **kwargs)


def test_search_is_down_is_offered_the_roll_back_playbook(runtime, factory, people):
    factory.playbooks()
    outcome = run(runtime, flows.declare_incident, actor=factory.actor(people["bob"]), title="Search is down",
                  severity="critical", customer_impact=True, affected_services=["search"])
    assert outcome.data["suggested_playbooks"] == ["roll-back-a-bad-deploy"]
    with runtime.database.reading() as db:
        [suggestion] = playbooks.suggest(db=db, services=["search"], text="Search is down")
    assert suggestion.because == "any service"


def test_a_playbook_made_for_the_service_ranks_above_any_service(runtime, factory):
    factory.playbooks()
    with runtime.database.reading() as db:
        ranked = [s.playbook.slug for s in playbooks.suggest(db=db, services=["postgres"], text="Database slow")]
        nothing = playbooks.suggest(db=db, services=[], text="Something odd")
    assert ranked == ["database-degraded", "roll-back-a-bad-deploy"]
    assert nothing == []


@pytest.mark.parametrize(("typed", "meant"), [("rollback", "roll-back-a-bad-deploy"),
                                              ("roll-back", "roll-back-a-bad-deploy"),
                                              ("database", "database-degraded")])
def test_an_unknown_playbook_name_gets_a_did_you_mean(runtime, factory, people, typed, meant):
    factory.playbooks()
    incident = factory.incident(people["bob"])
    with pytest.raises(NotFound, match=re.escape(f"No playbook '{typed}'. Did you mean '{meant}'?")):
        run(runtime, flows.attach_playbook, actor=factory.actor(people["bob"]), ref=incident.ref, slug=typed)


def test_a_name_like_no_playbook_gets_no_guess(runtime, factory, people):
    factory.playbooks()
    incident = factory.incident(people["bob"])
    with pytest.raises(NotFound) as refused:
        run(runtime, flows.attach_playbook, actor=factory.actor(people["bob"]), ref=incident.ref, slug="quokka")
    assert "Did you mean" not in refused.value.message
