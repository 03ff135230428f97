"""A key without a team or policy is warned about where it is made and listed, and its alerts (paging the
catch-all) are found under "Unrouted" on the alerts page (issue 13, defect 3)."""

from __future__ import annotations

from typing import Any

from warroom.accounts.models import TokenScope
from warroom.core.actor import Actor
from warroom.oncall.alerts import service as alerts
from warroom.oncall.keys import service as keys

WARNING = "has no team or escalation policy"


def _key_id(runtime, name: str) -> int:
    with runtime.database.reading() as db:
        [key] = [k for k in keys.list_keys(db=db) if k.name == name]
        return key.id


def test_making_a_key_that_routes_nowhere_warns_and_the_keys_page_keeps_saying_so(browser, people, runtime):
    alice = browser(people.alice)
    made = alice.post("/admin/integrations", {"name": "nagios", "kind": "opsgenie"})
    assert made.status_code == 201
    assert WARNING in made.text and "WARROOM_UNROUTED_PAGE=admins" in made.text
    routed = alice.post("/admin/integrations", {"name": "prometheus", "kind": "alertmanager", "team": "engineering"})
    assert routed.status_code == 201 and WARNING not in routed.text.split("<h2>Keys</h2>")[0]
    listing = alice.get("/admin/integrations").text
    rows = {name: listing.split(f"<td>{name}", 1)[1].split("</tr>", 1)[0] for name in ("nagios", "prometheus")}
    assert "pages the catch-all" in rows["nagios"] and WARNING in rows["nagios"]
    assert "pages the catch-all" not in rows["prometheus"] and WARNING not in rows["prometheus"]
    # A revoked key raises nothing: no warning for it.
    assert alice.post(f"/admin/integrations/{_key_id(runtime, 'nagios')}/revoke").status_code == 303
    assert "pages the catch-all" not in alice.get("/admin/integrations").text


def test_the_api_says_which_keys_route_nowhere(client, factory, people):
    headers = {"Authorization": f"Bearer {factory.token(people.alice, TokenScope.admin)}"}
    nowhere = client.post("/api/v1/integration-keys", json={"name": "nagios", "kind": "pagerduty"}, headers=headers)
    assert nowhere.status_code == 201, nowhere.text
    assert WARNING in nowhere.json()["warning"]
    routed = client.post("/api/v1/integration-keys", json={"name": "prom", "kind": "pagerduty",
                                                           "team": "engineering"}, headers=headers)
    assert routed.json()["warning"] is None
    heartbeat = client.post("/api/v1/integration-keys", json={"name": "cron", "kind": "heartbeat"}, headers=headers)
    assert heartbeat.json()["warning"] is None  # heartbeat keys raise no alerts of their own
    listed = {k["name"]: k["warning"] for k in client.get("/api/v1/integration-keys", headers=headers).json()["items"]}
    assert WARNING in str(listed["nagios"]) and listed["prom"] is None


def _raise(runtime, message: str, **routing: Any) -> int:
    with runtime.database.writing() as db:
        raised = alerts.raise_alert(db=db, actor=Actor.system(runtime.clock),
                                    spec=alerts.AlertSpec(message=message, **routing))
    return raised.alert_id


def test_the_alerts_page_filters_the_unrouted_alerts(browser, people, runtime):
    lost = _raise(runtime, "Disk full on db-1")  # nothing routes it: the admins are paged
    unknown = _raise(runtime, "Queue backed up", responders=[{"type": "user", "id": people.bob.id}],
                     unresolved_responders=[{"type": "team", "name": "sre"}])
    fine = _raise(runtime, "Search is slow", responders=[{"type": "user", "id": people.bob.id}])
    bob = browser(people.bob)
    everything = bob.get("/alerts").text
    assert all(f'id="alert-{n}"' in everything for n in (lost, unknown, fine))
    unrouted = bob.get("/alerts?status=open&unrouted=1")
    assert unrouted.status_code == 200
    assert f'id="alert-{lost}"' in unrouted.text and f'id="alert-{unknown}"' in unrouted.text
    assert f'id="alert-{fine}"' not in unrouted.text
    assert 'data-unrouted="1"' in unrouted.text and "All alerts" in unrouted.text
    assert "/alerts?status=closed&amp;unrouted=1" in unrouted.text  # the tabs keep the filter
    page = bob.get(f"/alerts/{unknown}").text
    assert "Not in Warroom" in page and "team &#39;sre&#39;" in page
    assert "Responder team &#39;sre&#39; is not in Warroom; paged @bob instead" in page
    assert "the catch-all, admins (@alice)" in bob.get(f"/alerts/{lost}").text
