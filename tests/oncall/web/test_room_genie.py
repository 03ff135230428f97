"""Paging from an incident room: the handbook's `/genie alert … for <team>` typed into the room's composer."""

from __future__ import annotations

from .conftest import written


def test_genie_alert_in_the_room_composer_pages_into_the_incident(browser, people, runtime, factory):
    incident = factory.incident(people.bob, title="Checkout is down")
    bob = browser(people.bob)
    reply = bob.post(f"/incidents/{incident.ref}/messages",
                     {"text": "/genie alert we have an incident, please help for customer-support"}, fetch=True)
    assert reply.status_code == 200
    assert "Paged team customer-support" in reply.json()["message"]  # shown inline under the composer
    assert written(runtime).alerts == 1
