"""The alert pages stay live over Server-Sent Events: the lists on channel "alerts", an alert on its own."""

from __future__ import annotations

from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.events import alert_channel
from warroom.oncall.alerts.service import ALERTS

from ...web.test_live import events, unsubscribed, until
from .conftest import page_team


def test_a_new_alert_is_pushed_to_an_open_alerts_page(browser, people, runtime, factory):
    page_team(runtime, factory, people.bob, description="Already open before the page")
    bob = browser(people.bob)
    with bob.client.stream("GET", "/alerts/events?status=open") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = events(response)
        assert "retry" in next(stream)
        first = next(stream)  # the list as it stands: the page may have been rendered a moment ago
        assert first["event"] == "alerts" and "Already open before the page" in first["data"]
        page_team(runtime, factory, people.carol, description="<b>Checkout</b> is down", target="engineering")
        seen = until(stream, lambda e: e.get("event") == "alerts" and "Checkout" in e.get("data", ""))
    pushed = seen[-1]["data"]
    assert 'id="alert-2"' in pushed and "&lt;b&gt;Checkout&lt;/b&gt; is down" in pushed
    assert 'Open <span class="alert-tabs__n">2</span>' in pushed
    assert unsubscribed(ALERTS)  # leaving the page unsubscribes


def test_an_acknowledged_alert_moves_tabs_on_open_pages(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    with bob.client.stream("GET", "/alerts/events?status=acknowledged") as response:
        stream = events(response)
        next(stream)
        assert "No acknowledged alerts." in next(stream)["data"]
        with runtime.database.writing() as db:
            alerts.acknowledge(db=db, actor=factory.actor(people.carol), alert_id=alert_id)
        seen = until(stream, lambda e: e.get("event") == "alerts" and f'id="alert-{alert_id}"' in e["data"])
    assert "@carol" in seen[-1]["data"]


def test_an_alert_page_gets_new_timeline_events_and_its_new_state(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    with runtime.database.reading() as db:
        last = alerts.events(db=db, alert_id=alert_id)[-1].id
    with bob.client.stream("GET", f"/alerts/{alert_id}/events?after={last}") as response:
        assert response.status_code == 200
        stream = events(response)
        next(stream)
        with runtime.database.writing() as db:
            alerts.add_note(db=db, actor=factory.actor(people.carol), alert_id=alert_id, note="<i>looking</i>")
            alerts.acknowledge(db=db, actor=factory.actor(people.carol), alert_id=alert_id)
        seen = until(stream, lambda e: e.get("event") == "state" and "Acknowledged by @carol" in e["data"])
    entries = [e for e in seen if e.get("event") == "entry"]
    assert [e["data"].count('class="entry alert-entry') for e in entries] == [1, 1]
    assert "&lt;i&gt;looking&lt;/i&gt;" in entries[0]["data"] and int(entries[0]["id"]) > last
    assert "Acknowledged by @carol" in entries[1]["data"]
    assert unsubscribed(alert_channel(alert_id))


def test_the_streams_need_a_signed_in_person_and_a_real_alert(browser, people, client):
    assert client.get("/alerts/events").status_code == 401
    assert client.get("/alerts/1/events").status_code == 401
    assert browser(people.bob).get("/alerts/5/events").status_code == 404
