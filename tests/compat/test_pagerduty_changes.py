"""PagerDuty Change Events at /v2/change/enqueue: kept on the key's service, shown on the service and team and to
the open incidents touching that service; bad input refused whole in PagerDuty's shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, TokenScope
from warroom.oncall.alerts import service as alert_service
from warroom.oncall.changes.models import ChangeEvent
from warroom.timeline.models import TimelineEntry

from ..web.conftest import browser  # noqa: F401  (fixture, registered by importing it)
from .conftest import stored

URL = "/v2/change/enqueue"


def change(routing_key: str, summary: str = "Deploy search v2.3.1", **extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "routing_key": routing_key,
        "payload": {"summary": summary, "timestamp": "2026-12-07T08:42:58.315+0000",
                    "source": "ci-pipeline-7", "custom_details": {"build_number": "2", "sha": "4b1c9e"}},
        "links": [{"href": "https://ci.example/build/2", "text": "Build 2"}],
    }
    event.update(extra)
    return event


def changes_in(runtime) -> list[ChangeEvent]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(ChangeEvent).order_by(ChangeEvent.id)))


def entries(runtime, incident_id: int) -> list[str]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(TimelineEntry.body).where(TimelineEntry.incident_id == incident_id)
                               .order_by(TimelineEntry.id)))


@pytest.fixture
def reader_token(factory) -> str:
    return factory.token(factory.user("rita", AccessRole.responder), TokenScope.read)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_change_is_kept_on_its_keys_service_and_answers_202(client, runtime, integration_keys, reader_token):
    key = integration_keys.make("pagerduty", name="Search", team="engineering")
    response = client.post(URL, json=change(key))
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "success", "message": "Change event processed"}
    [kept] = changes_in(runtime)
    assert (kept.service, kept.summary, kept.source) == ("search", "Deploy search v2.3.1", "ci-pipeline-7")
    assert kept.happened_at.isoformat() == "2026-12-07T08:42:58.315000+00:00"
    assert kept.details == {"build_number": "2", "sha": "4b1c9e"}
    assert kept.links == [{"href": "https://ci.example/build/2", "text": "Build 2"}]
    by_service = client.get("/api/v1/changes?service=SEARCH", headers=bearer(reader_token)).json()["items"]
    assert [c["summary"] for c in by_service] == ["Deploy search v2.3.1"]
    by_team = client.get("/api/v1/changes?team=engineering", headers=bearer(reader_token)).json()["items"]
    assert [c["id"] for c in by_team] == [kept.id]
    assert client.get("/api/v1/changes?service=billing", headers=bearer(reader_token)).json()["items"] == []
    assert client.get("/api/v1/changes?team=nope", headers=bearer(reader_token)).status_code == 404


def test_a_change_pages_nobody_and_raises_no_alert(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty", name="search")
    before = stored(runtime)
    assert client.post(URL, json=change(key)).status_code == 202
    after = stored(runtime)
    assert {table for table in after if after[table] != before[table]} == {"change_events"}


def test_an_open_incident_touching_the_service_sees_the_change_live_and_in_its_list(
        client, runtime, factory, integration_keys, reader_token, clock):
    key = integration_keys.make("pagerduty", name="search")
    other = integration_keys.make("pagerduty", name="billing")
    client.post(URL, json=change(key, "Deploy search v2.3.1", payload={"summary": "Deploy search v2.3.1"}))
    client.post(URL, json=change(other, "Billing config", payload={"summary": "Billing config"}))
    reporter = factory.user("rep")
    clock.advance(timedelta(minutes=10))
    incident = factory.incident(reporter, title="Search is down", affected_services=["Search"])
    clock.advance(timedelta(minutes=5))
    client.post(URL, json=change(key, payload={"summary": "Roll back search to v2.3.0"}))
    assert "Change on search: Roll back search to v2.3.0" in entries(runtime, incident.id)
    found = client.get(f"/api/v1/incidents/{incident.ref}/changes", headers=bearer(reader_token)).json()
    assert found["services"] == ["search"]
    assert [c["summary"] for c in found["before"]] == ["Deploy search v2.3.1"]
    assert [c["summary"] for c in found["during"]] == ["Roll back search to v2.3.0"]


def test_an_incident_touches_the_service_of_an_attached_alert(client, runtime, factory, integration_keys,
                                                               reader_token, clock):
    key = integration_keys.make("pagerduty", name="checkout")
    client.post("/v2/enqueue", json={"routing_key": key, "event_action": "trigger", "dedup_key": "c1", "payload": {
        "summary": "Checkout errors", "source": "checkout-1", "severity": "critical"}})
    reporter = factory.user("rep")
    incident = factory.incident(reporter, title="Checkout failing")
    with runtime.database.writing() as db:
        alert = alert_service.find_alert(db=db, identifier="c1", kind="alias", scope=None)
        alert_service.attach_to_incident(db=db, actor=factory.system, alert_id=alert.id, incident_id=incident.id)
    clock.advance(timedelta(minutes=1))
    client.post(URL, json=change(key, payload={"summary": "Feature flag new-cart off"}))
    assert "Change on checkout: Feature flag new-cart off" in entries(runtime, incident.id)
    found = client.get(f"/api/v1/incidents/{incident.ref}/changes", headers=bearer(reader_token)).json()
    assert found["services"] == ["checkout"]
    assert [c["summary"] for c in found["during"]] == ["Feature flag new-cart off"]


def test_a_change_without_timestamp_happened_when_received(client, runtime, integration_keys, clock):
    key = integration_keys.make("pagerduty", name="search")
    assert client.post(URL, json={"routing_key": key, "payload": {"summary": "Restarted"}}).status_code == 202
    [kept] = changes_in(runtime)
    assert kept.happened_at == kept.received_at == clock.now()
    assert (kept.source, kept.details, kept.links) == ("", {}, [])


def invalid(response, *errors: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] in ("invalid event", "Unrecognized object")
    for error in errors:
        assert any(error in e for e in body["errors"]), body


def test_bad_change_events_are_refused_whole_in_pagerduty_s_shape(client, runtime, integration_keys):
    key = integration_keys.make("pagerduty", name="search")
    og_key = integration_keys.make("opsgenie")
    before = stored(runtime)
    invalid(client.post(URL, content=b"{nope", headers={"content-type": "application/json"}), "JSON parse error")
    invalid(client.post(URL, json=[1]), "not a JSON object")
    invalid(client.post(URL, json={"payload": {"summary": "x"}}), "'routing_key' is missing")
    invalid(client.post(URL, json={"routing_key": key}), "'payload' is missing")
    invalid(client.post(URL, json={"routing_key": key, "payload": {"summary": " "}}), "'payload.summary'")
    invalid(client.post(URL, json={"routing_key": key, "payload": {"summary": "s" * 1025}}), "longer than 1024")
    invalid(client.post(URL, json={"routing_key": key, "payload": {"summary": "x", "timestamp": "yesterday"}}),
            "'payload.timestamp'")
    invalid(client.post(URL, json={"routing_key": key, "payload": {"summary": "x", "custom_details": "x"}}),
            "'payload.custom_details' must be an object")
    invalid(client.post(URL, json={"routing_key": key, "payload": {"summary": "x"}, "links": [{"text": "t"}]}),
            "'links' must be a list")
    many = client.post(URL, json={"routing_key": 7, "payload": {"summary": 3}, "links": "x"})
    invalid(many, "'routing_key' must be a string", "'payload.summary' must be a string", "'links' must be a list")
    invalid(client.post(URL, json=change("f" * 32)), "Invalid routing key")
    invalid(client.post(URL, json=change(og_key)), "this is a Warroom opsgenie integration key")
    assert stored(runtime) == before


def test_reading_changes_needs_a_token(client):
    assert client.get("/api/v1/changes").status_code == 401


def test_the_pages_show_a_service_s_changes_and_the_room_links_to_its_own(client, factory, integration_keys, clock,
                                                                          browser):  # noqa: F811
    key = integration_keys.make("pagerduty", name="search", team="engineering")
    client.post(URL, json=change(key, payload={"summary": "Deploy search v2.3.1"}))
    admin = browser(factory.user("ada", AccessRole.admin))
    keys_page = admin.get("/admin/integrations").text
    assert '<a href="/changes?service=search" class="muted">changes</a>' in keys_page
    service_page = admin.get("/changes?service=search").text
    assert "Recent changes on search" in service_page and "Deploy search v2.3.1" in service_page
    assert "Deploy search v2.3.1" in admin.get("/changes?team=engineering").text
    assert '<a href="/changes?team=engineering">' in admin.get("/admin/teams").text
    assert "No change reported yet." in admin.get("/changes?service=billing").text
    clock.advance(timedelta(minutes=3))
    incident = factory.incident(factory.user("rep"), affected_services=["search"])
    room = admin.get(f"/incidents/{incident.ref}").text
    assert f'href="/incidents/{incident.ref}/changes"' in room
    page = admin.get(f"/incidents/{incident.ref}/changes").text
    before = page.split("<h2>Before it was declared</h2>")[1].split("<h2>Since</h2>")[0]
    assert "Deploy search v2.3.1" in before


@pytest.mark.parametrize(("sent", "kept"), [
    ("2026-12-07T08:42:58.315+0000", "2026-12-07T08:42:58.315000+00:00"),  # PagerDuty's documented example
    ("2026-12-07T08:42:58Z", "2026-12-07T08:42:58+00:00"),
    ("2026-12-07T09:42:58.123456+01:00", "2026-12-07T08:42:58.123456+00:00"),
    ("2026-12-07T08:42:58.123456+00:00Z", "2026-12-07T08:42:58.123456+00:00"),  # the pagerduty 7 client's shape
])
def test_timestamps_in_the_shapes_senders_write(client, runtime, integration_keys, sent, kept):
    key = integration_keys.make("pagerduty", name="search")
    response = client.post(URL, json={"routing_key": key, "payload": {"summary": "x", "timestamp": sent}})
    assert response.status_code == 202, response.text
    assert changes_in(runtime)[0].happened_at.isoformat() == kept
