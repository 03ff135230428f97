"""/alerts and /alerts/{id}: the tabs, one alert with its timeline and delivery records, and every action."""

from __future__ import annotations

from datetime import timedelta

from warroom.incidents import service as incidents
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertStatus

from .conftest import event_kinds, load_alert, page_team, written


def test_the_tabs_list_open_acknowledged_and_closed_alerts_with_their_counts(browser, people, runtime, factory):
    first = page_team(runtime, factory, people.bob, description="Search is slow")
    second = page_team(runtime, factory, people.bob, description="Disk almost full", target="@carol")
    third = page_team(runtime, factory, people.bob, description="Certificate expires")
    with runtime.database.writing() as db:
        alerts.acknowledge(db=db, actor=factory.actor(people.carol), alert_id=second)
        alerts.close(db=db, actor=factory.actor(people.bob), alert_id=third)
    vic = browser(people.vic)
    opened = vic.get("/alerts")
    assert opened.status_code == 200
    assert "Search is slow" in opened.text and "Disk almost full" not in opened.text
    assert 'aria-current="page">Open <span class="alert-tabs__n">1</span>' in opened.text
    assert 'Acknowledged <span class="alert-tabs__n">1</span>' in opened.text
    assert f'href="/alerts/{first}"' in opened.text and "team engineering" in opened.text
    acked = vic.get("/alerts?status=acknowledged")
    assert "Disk almost full" in acked.text and "@carol" in acked.text and "Search is slow" not in acked.text
    closed = vic.get("/alerts?status=closed")
    assert "Certificate expires" in closed.text and "@bob" in closed.text
    assert "No open alerts" not in opened.text and "No open alerts" in vic.get("/alerts?status=open&page=9").text


def test_the_list_is_paginated(browser, people, runtime, factory):
    for n in range(51):
        page_team(runtime, factory, people.bob, description=f"Alert number {n}")
    bob = browser(people.bob)
    first = bob.get("/alerts")
    assert "Alert number 50" in first.text and "Alert number 0<" not in first.text
    assert "page 1 of 2" in first.text and 'href="/alerts?status=open&amp;page=2" rel="next"' in first.text
    second = bob.get("/alerts?status=open&page=2")
    assert "Alert number 0</a>" in second.text and "Alert number 50" not in second.text


def test_the_alert_page_shows_details_duplicates_timeline_and_delivery_records(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob, description="Checkout returns HTTP 500")
    page_team(runtime, factory, people.carol, description="Checkout returns HTTP 500")  # a new alert: new alias
    with runtime.database.writing() as db:
        spec = alerts.AlertSpec(message="Disk full on db-1", alias="disk-db-1", source="prometheus",
                                entity="db-1", tags=["storage"], details={"mount": "/var", "used": [97, 98]},
                                description="The data volume is almost full.", team_id=None,
                                responders=[{"type": "user", "id": people.bob.id}])
        disk = alerts.raise_alert(db=db, actor=factory.actor(people.alice), spec=spec).alert_id
        alerts.raise_alert(db=db, actor=factory.actor(people.alice), spec=spec)
        alerts.raise_alert(db=db, actor=factory.actor(people.alice), spec=spec)
    engine = runtime.engine()
    engine.tick()  # the escalation step pages bob
    engine.tick()  # and the notification goes out (to the log: mail is not configured in tests)
    page = browser(people.vic).get(f"/alerts/{disk}")
    assert page.status_code == 200
    html = page.text
    assert "#" + str(disk) in html and "Disk full on db-1" in html
    assert "2 duplicates" in html and "3 times" in html
    assert "The data volume is almost full." in html
    assert "<dt>mount</dt><dd class=\"mono\">/var</dd>" in html and "[97, 98]" in html
    assert "prometheus" in html and "db-1" in html and '<span class="tag">storage</span>' in html
    assert "Alert opened: Disk full on db-1" in html and "Step 1: paged @bob" in html
    deliveries = html.split('id="alert-deliveries"', 1)[1]
    assert "@bob</td>" in deliveries and ">email</td>" in deliveries
    assert "badge--delivery-sent" in deliveries
    assert browser(people.vic).get(f"/alerts/{alert_id}").status_code == 200
    assert browser(people.vic).get("/alerts/999").status_code == 404


def test_the_acknowledge_link_asks_and_does_not_act(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    before = written(runtime)
    confirm = bob.get(f"/alerts/{alert_id}/acknowledge")
    assert confirm.status_code == 200
    assert f'<form method="post" action="/alerts/{alert_id}/acknowledge">' in confirm.text
    assert f"Acknowledge alert #{alert_id}</button>" in confirm.text
    bob.get(f"/alerts/{alert_id}/acknowledge")  # a mail scanner opening it twice changes nothing
    assert load_alert(runtime, alert_id).status is AlertStatus.open
    assert written(runtime) == before
    done = bob.post(f"/alerts/{alert_id}/acknowledge")
    assert done.status_code == 303 and done.headers["location"] == f"/alerts/{alert_id}"
    alert = load_alert(runtime, alert_id)
    assert alert.status is AlertStatus.acknowledged and alert.acknowledged_by_id == people.bob.id
    after = bob.get(f"/alerts/{alert_id}")
    assert "Acknowledged alert #" in after.text and "Acknowledged by @bob" in after.text
    assert "Already acknowledged by @bob" in bob.get(f"/alerts/{alert_id}/acknowledge").text


def test_signed_out_the_acknowledge_link_goes_through_sign_in_and_back(client, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    response = client.get(f"/alerts/{alert_id}/acknowledge", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/alerts/{alert_id}/acknowledge"
    assert load_alert(runtime, alert_id).status is AlertStatus.open


def test_unacknowledge_close_note_and_escalate(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    assert bob.post(f"/alerts/{alert_id}/escalate").status_code == 303
    assert bob.post(f"/alerts/{alert_id}/acknowledge").status_code == 303
    assert bob.post(f"/alerts/{alert_id}/unacknowledge", {"note": "handing back"}).status_code == 303
    assert load_alert(runtime, alert_id).status is AlertStatus.open
    assert bob.post(f"/alerts/{alert_id}/notes", {"note": "the LB is fine"}).status_code == 303
    closed = bob.post(f"/alerts/{alert_id}/close", {"note": "fixed by the rollback"})
    assert closed.status_code == 303
    page = bob.get(f"/alerts/{alert_id}")
    assert f"Closed alert #{alert_id}" in page.text
    assert "Unacknowledged by @bob: handing back" in page.text and "the LB is fine" in page.text
    assert "Closed by @bob: fixed by the rollback" in page.text
    assert event_kinds(runtime, alert_id) == ["created", "escalated", "escalation_finished", "escalate_now",
                                              "acknowledged", "unacknowledged", "note", "closed"]


def test_snooze_for_a_while_or_until_a_time(browser, people, runtime, factory, clock):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    assert bob.post(f"/alerts/{alert_id}/snooze", {"for": "60"}).status_code == 303
    assert load_alert(runtime, alert_id).snoozed_until == clock.now() + timedelta(hours=1)
    assert "until 2026-01-05 10:00 UTC" in bob.get(f"/alerts/{alert_id}").text
    assert bob.post(f"/alerts/{alert_id}/snooze", {"for": "other", "until": "2026-01-05T15:30"}).status_code == 303
    assert load_alert(runtime, alert_id).snoozed_until.isoformat().startswith("2026-01-05T15:30")


def test_reassign_attach_and_declare(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    moved = bob.post(f"/alerts/{alert_id}/reassign", {"to": "customer-support"})
    assert moved.status_code == 303
    assert "Reassigned alert #" in bob.get(f"/alerts/{alert_id}").text
    assert load_alert(runtime, alert_id).responders[0]["type"] == "team"
    incident = factory.incident(people.carol, title="Checkout is down")
    assert bob.post(f"/alerts/{alert_id}/incident", {"incident": incident.ref.lower()}).status_code == 303
    assert load_alert(runtime, alert_id).incident_id == incident.id
    shown = bob.get(f"/alerts/{alert_id}").text
    assert f'<a href="/incidents/{incident.ref}">{incident.ref} Checkout is down</a>' in shown
    assert f"Alert #{alert_id} attached" in bob.get(f"/incidents/{incident.ref}").text  # the room records it

    other = page_team(runtime, factory, people.bob, description="Search returns nothing")
    declared = bob.post(f"/alerts/{other}/declare", {"title": "Search is down", "severity": "major"})
    assert declared.status_code == 303
    ref = declared.headers["location"].rsplit("/", 1)[1]
    with runtime.database.reading() as db:
        made = incidents.get_incident(db=db, ref=ref)
        assert (made.title, made.severity.value) == ("Search is down", "major")
    assert load_alert(runtime, other).incident_id == made.id
    room = bob.get(f"/incidents/{ref}")
    assert f"Alert #{other} is part of it." in room.text


def test_every_action_s_error_is_a_red_line_and_writes_nothing(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    incident = factory.incident(people.carol, title="Checkout is down")
    before = written(runtime)
    cases = [
        ("snooze", {"for": "other", "until": "2025-01-01T00:00"}, 422, "Snooze until a time in the next 7 days."),
        ("snooze", {"for": "other", "until": "soon"}, 422, "&#39;soon&#39; is not a time"),
        ("snooze", {"for": ""}, 422, "Choose how long to snooze"),
        ("notes", {"note": "   "}, 422, "The note is empty."),
        ("reassign", {"to": "@ghost"}, 404, "No team or person &#39;@ghost&#39;."),
        ("incident", {"incident": "INC-77"}, 404, "INC-77"),
        ("incident", {"incident": ""}, 422, "Name the incident, e.g. INC-42."),
        ("declare", {"title": "Search is down", "severity": "minor"}, 422, "the normal support/feedback process"),
        ("unacknowledge", {}, 409, "is open, not acknowledged."),
    ]
    for action, data, status, message in cases:
        page = bob.post(f"/alerts/{alert_id}/{action}", data)
        assert page.status_code == status, (action, data, page.text[:300])
        assert "Not done: " in page.text and message in page.text, (action, data)
    assert written(runtime) == before
    with runtime.database.writing() as db:
        alerts.attach_to_incident(db=db, actor=factory.actor(people.bob), alert_id=alert_id, incident_id=incident.id)
        alerts.acknowledge(db=db, actor=factory.actor(people.bob), alert_id=alert_id)
    before = written(runtime)
    again = bob.post(f"/alerts/{alert_id}/declare", {"title": "Checkout", "severity": "critical"})
    assert again.status_code == 409 and f"is already part of {incident.ref}" in again.text
    late = bob.post(f"/alerts/{alert_id}/escalate")
    assert late.status_code == 409 and "only open alerts escalate" in late.text
    assert written(runtime) == before
    assert bob.post("/alerts/999/acknowledge").status_code == 404


def test_viewers_see_disabled_controls_and_are_refused(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    vic = browser(people.vic)
    page = vic.get(f"/alerts/{alert_id}")
    assert "Viewers can follow alerts but not act on them." in page.text
    assert '<button type="submit" class="btn btn--primary" disabled>Acknowledge</button>' in page.text
    assert "disabled>Add note</button>" in page.text
    confirm = vic.get(f"/alerts/{alert_id}/acknowledge")
    assert "Viewers cannot acknowledge alerts." in confirm.text and "disabled>Acknowledge alert" in confirm.text
    before = written(runtime)
    for action, data in (("acknowledge", {}), ("close", {}), ("notes", {"note": "hi"}), ("escalate", {}),
                         ("snooze", {"for": "60"}), ("reassign", {"to": "@bob"})):
        refused = vic.post(f"/alerts/{alert_id}/{action}", data)
        assert refused.status_code == 403 and "@vic has viewer access" in refused.text, action
    assert written(runtime) == before


def test_actions_without_the_csrf_token_are_refused(browser, people, runtime, factory):
    alert_id = page_team(runtime, factory, people.bob)
    bob = browser(people.bob)
    before = written(runtime)
    for action in ("acknowledge", "close", "escalate"):
        refused = bob.post(f"/alerts/{alert_id}/{action}", csrf=False)
        assert refused.status_code == 403 and "security token is missing or stale" in refused.text
    assert load_alert(runtime, alert_id).status is AlertStatus.open
    assert written(runtime) == before


XSS = "<script>alert(1)</script>"


def test_alert_text_from_outside_is_escaped_everywhere(browser, people, runtime, factory):
    with runtime.database.writing() as db:
        spec = alerts.AlertSpec(message=f"Disk {XSS}", description=f"<img src=x onerror=alert(2)> {XSS}",
                                source="<b>prom</b>", entity="<i>db</i>", tags=["<u>t</u>"],
                                details={"<em>k</em>": "<a href='javascript:alert(3)'>x</a>", "n": {"<s>": 1}},
                                responders=[{"type": "user", "id": people.bob.id}])
        alert_id = alerts.raise_alert(db=db, actor=factory.actor(people.alice), spec=spec).alert_id
        alerts.add_note(db=db, actor=factory.actor(people.bob), alert_id=alert_id, note=f"note {XSS}")
    bob = browser(people.bob)
    for path in ("/alerts", f"/alerts/{alert_id}", f"/alerts/{alert_id}/acknowledge"):
        html = bob.get(path).text
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        for raw in ("<img src=x", "<b>prom</b>", "<i>db</i>", "<u>t</u>", "<em>k</em>", "<a href='javascript", "<s>"):
            assert raw not in html, (path, raw)
    assert "&lt;img src=x onerror=alert(2)&gt;" in bob.get(f"/alerts/{alert_id}").text
