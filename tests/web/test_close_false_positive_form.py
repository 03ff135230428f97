"""The room's close form offers closing as a false positive: the why is required and kept."""

from __future__ import annotations

from warroom.core.actor import Actor
from warroom.incidents import flows
from warroom.incidents import service as incidents

from .conftest import counts

WHY = "the synthetic check hit a retired host"


def test_the_close_form_closes_a_false_positive_with_its_reason(browser, people, factory, runtime, clock):
    factory.incident(people.bob, title="Checkout fails after deploy")
    with runtime.database.writing() as db:
        bob = Actor(people.bob.id, "bob", people.bob.access_role, "test", clock)
        flows.assign_role(db=db, actor=bob, ref="INC-1", role="lead", who="@bob")
        flows.resolve_incident(db=db, actor=bob, ref="INC-1", false_positive=True, text="not an outage")
    web = browser(people.bob)
    page = web.get("/incidents/INC-1")
    assert 'id="d-false-positive" open' in page.text and "Close as a false positive" in page.text

    before = counts(runtime)
    refused = web.post("/incidents/INC-1/close", {"false_positive": "1", "why": ""})
    assert refused.status_code == 422, refused.text[:300]
    assert "Say why it was a false positive" in refused.text
    assert counts(runtime) == before

    assert web.post("/incidents/INC-1/close", {"false_positive": "1", "why": WHY}).status_code == 303
    with runtime.database.reading() as db:
        incident = incidents.get_incident(db=db, ref="INC-1")
        assert incident.status.value == "closed" and incident.is_false_positive
