"""Alerts of a private security incident, surface by surface.

bob pages erin from INC-2's room (`/genie alert … for @erin`). bob (reporter), sam (security team), alice
(admin) and erin (the page was addressed to her) read the alert in full; rita (a responder taking no part)
and vic (a viewer) see it redacted on every surface: the API, the web list and page, their live streams,
the CLI and the Opsgenie API, with no page text and no incident ref, while counts stay the same for
everyone. Acting on the alert (acknowledge, `/genie ack`, note, snooze, escalate, close) does not let rita
into INC-2; paging someone new for it (reassign) or moving it to another incident is for those who may see
the incident.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from markupsafe import escape

from warroom.incidents import visibility
from warroom.oncall.alerts.privacy import REDACTED_MESSAGE

from ..api.conftest import assert_problem
from ..compat.conftest import integration_keys  # noqa: F401  (fixture, registered by importing it)
from ..web.test_live import events, until
from .conftest import BLIND, SECRET, snapshot

PAGE = "Signing key pushed to the mirror: rotate before 09:00"
READERS = ("bob", "sam", "alice", "erin")
ESCAPED_PAGE = str(escape(PAGE))


@pytest.fixture
def paged(callers, incidents) -> int:
    """bob pages erin from INC-2's room; the alert's number."""
    said = callers["bob"].ok("post", "/commands", {"text": f"/genie alert {PAGE} for @erin", "incident": "INC-2"})
    assert said["incident"] == "INC-2"
    alert_id: int = said["data"]["alert_id"]
    return alert_id


def leaks(text: str) -> bool:
    return any(secret in text for secret in (PAGE, ESCAPED_PAGE, SECRET, "INC-2"))


def assert_redacted(alert: dict[str, Any]) -> None:
    assert alert["message"] == REDACTED_MESSAGE
    assert (alert["description"], alert["alias"], alert["entity"], alert["details"], alert["tags"],
            alert["incident"]) == ("", "", "", {}, [], None)


# Reading -----------------------------------------------------------------------------------------------


def test_the_api_list_shows_the_page_to_its_readers_and_redacts_it_for_everyone_else(callers, paged):
    for who in READERS:
        page = callers[who].ok("get", "/alerts")
        [alert] = [a for a in page["items"] if a["id"] == paged]
        assert (alert["message"], alert["incident"], page["total"]) == (PAGE, "INC-2", 1), who
    for who in BLIND:
        response = callers[who].get("/alerts")
        page = response.json()
        assert page["total"] == 1 and [a["id"] for a in page["items"]] == [paged]  # counts stay honest
        assert_redacted(page["items"][0])
        assert page["items"][0]["status"] == "open" and page["items"][0]["responders"][0]["name"] == "erin"
        assert not leaks(response.text), who


def test_the_api_detail_redacts_the_alert_its_timeline_and_its_deliveries_for_outsiders(callers, paged):
    full = callers["erin"].ok("get", f"/alerts/{paged}")
    assert full["message"] == PAGE and full["details"] == {"paged_by": "bob", "incident": "INC-2"}
    assert any(PAGE in e["body"] for e in full["events"])
    for who in BLIND:
        response = callers[who].get(f"/alerts/{paged}")
        assert response.status_code == 200
        shown = response.json()
        assert_redacted(shown)
        assert [e["kind"] for e in shown["events"]] == [e["kind"] for e in full["events"]]
        assert all(e["data"] == {} for e in shown["events"])
        assert [d["user"] for d in shown["deliveries"]] == [d["user"] for d in full["deliveries"]] == ["erin"]
        assert not leaks(response.text), who


def test_the_web_list_and_alert_pages_redact_it_for_outsiders(browser, cast, paged):
    for who in READERS:
        person = browser(cast[who])
        assert ESCAPED_PAGE in person.get("/alerts").text
        assert ESCAPED_PAGE in person.get(f"/alerts/{paged}").text
    for who in BLIND:
        person = browser(cast[who])
        listed = person.get("/alerts")
        assert listed.status_code == 200 and f'id="alert-{paged}"' in listed.text
        assert 'Open <span class="alert-tabs__n">1</span>' in listed.text
        assert REDACTED_MESSAGE in listed.text and not leaks(listed.text)
        for path in (f"/alerts/{paged}", f"/alerts/{paged}/acknowledge"):
            page = person.get(path)
            assert page.status_code == 200 and REDACTED_MESSAGE in page.text, path
            assert not leaks(page.text), (who, path)
        shown = person.get(f"/alerts/{paged}").text
        assert "a private security incident" in shown
        for form in ("reassign", "incident", "declare"):  # what only the incident's people may do
            assert f'action="/alerts/{paged}/{form}"' not in shown


def test_the_live_streams_redact_it_for_outsiders(browser, cast, paged, runtime, factory):
    from warroom.oncall.alerts import service as alerts

    rita, erin = browser(cast.rita), browser(cast.erin)
    with rita.client.stream("GET", "/alerts/events?status=open") as outsider, \
            erin.client.stream("GET", "/alerts/events?status=open") as reader:
        outside, inside = events(outsider), events(reader)
        next(outside), next(inside)
        told_outside, told_inside = next(outside)["data"], next(inside)["data"]
    assert f'id="alert-{paged}"' in told_outside and not leaks(told_outside)
    assert ESCAPED_PAGE in told_inside
    with rita.client.stream("GET", f"/alerts/{paged}/events") as response:
        assert response.status_code == 200
        stream = events(response)
        next(stream)
        with runtime.database.writing() as db:
            alerts.add_note(db=db, actor=factory.actor(cast.bob), alert_id=paged, note="key is hunter2 in INC-2")
        seen = until(stream, lambda e: e.get("event") == "entry" and "Note added" in e.get("data", ""))
        seen += until(stream, lambda e: e.get("event") == "state")  # sent with every batch of new entries
    assert "a private security incident" in seen[-1]["data"]
    assert not any(leaks(e.get("data", "")) or "hunter2" in e.get("data", "") for e in seen)


def test_the_cli_shows_each_person_what_they_may_read(remote, factory, cast, paged):
    rita = remote.as_(factory.token(cast.rita))
    for args in (("alert", "list"), ("alert", "show", str(paged))):
        assert not leaks(rita.ok(*args)), args
    assert rita.json("alert", "show", str(paged))["message"] == REDACTED_MESSAGE
    erin = remote.as_(factory.token(cast.erin))
    shown = erin.json("alert", "show", str(paged))
    assert (shown["message"], shown["incident"]) == (PAGE, "INC-2")


def test_the_opsgenie_api_redacts_it_except_for_the_tool_that_raised_it(client, callers, paged,
                                                                       integration_keys):  # noqa: F811
    def genie(key: str) -> dict[str, str]:
        return {"Authorization": f"GenieKey {key}"}

    tool, other = integration_keys.make("opsgenie", name="grafana"), integration_keys.make("opsgenie", name="other")
    raised = client.post("/v2/alerts", json={"message": "Odd logins from one address", "alias": "odd-logins",
                                             "description": "from 203.0.113.9"}, headers=genie(tool))
    assert raised.status_code == 202
    own = next(a for a in callers["bob"].ok("get", "/alerts")["items"] if a["alias"] == "odd-logins")
    callers["bob"].ok("post", f"/alerts/{own['id']}/incident", {"incident": "INC-2"})
    listed = client.get("/v2/alerts", headers=genie(other))
    assert listed.status_code == 200
    assert [a["message"] for a in listed.json()["data"]] == [REDACTED_MESSAGE, REDACTED_MESSAGE]
    assert "Odd logins" not in listed.text and "203.0.113.9" not in listed.text and not leaks(listed.text)
    for ref in (str(paged), str(own["id"])):
        got = client.get(f"/v2/alerts/{ref}", headers=genie(other))
        assert got.status_code == 200 and got.json()["data"]["message"] == REDACTED_MESSAGE
        assert got.json()["data"]["details"] == {} and not leaks(got.text)
    mine = client.get("/v2/alerts/odd-logins", params={"identifierType": "alias"}, headers=genie(tool)).json()
    assert (mine["data"]["message"], mine["data"]["description"]) == ("Odd logins from one address",
                                                                      "from 203.0.113.9")
    theirs = client.get(f"/v2/alerts/{paged}", headers=genie(tool)).json()["data"]
    assert theirs["message"] == REDACTED_MESSAGE


def test_the_opsgenie_alert_calls_keep_it_private_from_other_keys(client, callers, paged, runtime,
                                                                  integration_keys):  # noqa: F811
    other = {"Authorization": f"GenieKey {integration_keys.make('opsgenie', name='other')}"}
    callers["bob"].ok("post", f"/alerts/{paged}/notes", {"note": f"{SECRET}: rotate it"})
    alias = callers["bob"].ok("get", f"/alerts/{paged}")["alias"]
    client.post(f"/v2/alerts/{paged}/tags", json={"tags": ["signing-key"]}, headers=other)
    for path in ("notes", "logs", "recipients"):
        read = client.get(f"/v2/alerts/{paged}/{path}", headers=other)
        assert read.status_code == 200 and read.json()["data"] and not leaks(read.text), path
    assert [n["note"] for n in client.get(f"/v2/alerts/{paged}/notes", headers=other).json()["data"]] == [
        "Note added"]
    # Its words match no query of another key (they read as empty), and counts stay honest.
    for query in (f'alias: "{alias}"', "tag: signing-key"):
        assert client.get("/v2/alerts/count", params={"query": query}, headers=other).json()["data"] == {
            "count": 0}, query
        assert client.get("/v2/alerts", params={"query": query}, headers=other).json()["data"] == []
    assert client.get("/v2/alerts/count", params={"query": "NOT tag: signing-key"},
                      headers=other).json()["data"] == {"count": 1}
    listed = client.get("/v2/alerts", params={"query": "status: open"}, headers=other)
    assert [a["message"] for a in listed.json()["data"]] == [REDACTED_MESSAGE] and not leaks(listed.text)
    # Changing it tells the key nothing of it; paging someone new for it is for those who may see the incident.
    tagged = client.post(f"/v2/alerts/{paged}/tags", json={"tags": ["x"]}, headers=other).json()["requestId"]
    status = client.get(f"/v2/alerts/requests/{tagged}", headers=other)
    assert status.json()["data"]["alias"] == "" and not leaks(status.text)
    before = snapshot(runtime)
    refused = client.post(f"/v2/alerts/{paged}/responders", json={"responder": {"type": "user",
                                                                                "username": "rita"}}, headers=other)
    assert refused.status_code == 403 and "a private security incident" in refused.json()["message"]
    assert not leaks(refused.text) and snapshot(runtime) == before
    gone = client.delete(f"/v2/alerts/{paged}", headers=other).json()["requestId"]
    assert client.get(f"/v2/alerts/requests/{gone}", headers=other).json()["data"]["isSuccess"] is False
    assert callers["bob"].ok("get", f"/alerts/{paged}")["message"] == PAGE


# Acting is not joining --------------------------------------------------------------------------------


def takes_part(runtime, user_id: int) -> bool:
    with runtime.database.reading() as db:
        return visibility.takes_part(db=db, user_id=user_id, incident_id=2)


def test_acting_on_the_alert_does_not_let_an_outsider_into_the_incident(runtime, callers, cast, paged, clock):
    rita = callers["rita"]
    escalated = rita.ok("post", f"/alerts/{paged}/escalate")
    assert_redacted(escalated["alert"])
    assert_redacted(rita.ok("post", f"/alerts/{paged}/acknowledge")["alert"])
    assert rita.get("/incidents/INC-2").status_code == 404  # acknowledging is not joining
    rita.ok("post", f"/alerts/{paged}/unacknowledge")
    said = rita.ok("post", "/commands", {"text": f"/genie ack {paged}"})
    assert said["message"] == f"Acknowledged alert #{paged}: {REDACTED_MESSAGE}"
    rita.ok("post", f"/alerts/{paged}/notes", {"note": "looked at it"})
    rita.ok("post", f"/alerts/{paged}/snooze", {"minutes": 30})
    engine = runtime.engine()
    for _ in range(3):
        engine.tick()
        clock.advance(timedelta(minutes=31))
    rita.ok("post", f"/alerts/{paged}/close")
    assert not takes_part(runtime, cast.rita.id)
    hidden = rita.get("/incidents/INC-2")
    assert_problem(hidden, 404, contains="No incident INC-2.")
    assert rita.get("/incidents/INC-2/timeline").status_code == 404
    assert "INC-2" not in [i["ref"] for i in rita.ok("get", "/incidents")["items"]]


def test_an_outsider_cannot_page_someone_new_for_it_or_move_it_and_nothing_is_written(runtime, callers, paged,
                                                                                      browser, cast):
    rita, in_browser = callers["rita"], browser(cast.rita)
    before = snapshot(runtime)  # after signing in, which the audit log records
    for to in ("@rita", "engineering"):
        assert_problem(rita.post(f"/alerts/{paged}/reassign", {"to": to}), 403,
                       contains="only its participants, the security team and admins", field="alert")
    assert_problem(rita.post(f"/alerts/{paged}/incident", {"incident": "INC-1"}), 403,
                   contains="a private security incident")
    refused = rita.post(f"/alerts/{paged}/declare", {"severity": "major"})
    assert_problem(refused, 409, contains="already part of a private security incident")
    assert not leaks(refused.text)
    page = in_browser.post(f"/alerts/{paged}/reassign", {"to": "@rita"})
    assert page.status_code == 403 and "only its participants" in page.text and not leaks(page.text)
    assert snapshot(runtime) == before
    runtime.engine().tick()
    assert rita.get("/incidents/INC-2").status_code == 404


def test_those_the_page_is_addressed_to_get_in(runtime, callers, cast, paged):
    assert callers["erin"].ok("get", "/incidents/INC-2")["title"] == SECRET  # paged from the room: in at once
    assert callers["rita"].get("/incidents/INC-2").status_code == 404
    moved = callers["bob"].ok("post", f"/alerts/{paged}/reassign", {"to": "@rita"})
    assert moved["alert"]["message"] == PAGE
    runtime.engine().tick()  # the restarted escalation notifies rita: the page is now addressed to her
    assert callers["rita"].ok("get", "/incidents/INC-2")["title"] == SECRET
    assert callers["rita"].ok("get", f"/alerts/{paged}")["message"] == PAGE
    assert callers["vic"].get("/incidents/INC-2").status_code == 404


def test_redacting_costs_one_query_per_page_however_many_alerts_are_private(runtime, callers, paged):
    from ..api.test_queries import counting

    rita = callers["rita"]

    def statements(path: str) -> int:
        rita.get("/users/me")  # settle the token's last-use stamp so every read authenticates alike
        with counting(runtime) as seen:
            assert rita.get(path).status_code == 200
        return len(seen)

    one = statements("/alerts")
    for n in range(5):
        callers["bob"].ok("post", "/commands", {"text": f"/genie alert {PAGE} {n} for @erin", "incident": "INC-2"})
    page = rita.ok("get", "/alerts")
    assert page["total"] == 6 and {a["message"] for a in page["items"]} == {REDACTED_MESSAGE}
    assert statements("/alerts") == one


def test_a_text_reply_names_the_alert_only_to_those_who_may_read_it(runtime, client, cast, callers, incidents):
    """Paging from a phone: an outsider texting a page's code from their own number learns nothing and changes
    nothing; the person paged (a participant) is answered with the page's words."""
    import sqlalchemy as sa

    from warroom.core.actor import Actor
    from warroom.notifications import service as contacts
    from warroom.notifications.models import Notification

    from ..phone.conftest import PUBLIC, post_signed, reply_of, sms_form
    from ..support import drain

    token = runtime.settings.twilio_auth_token = "twilio-test-token"  # takes replies; sends stay unconfigured
    runtime.settings.base_url = PUBLIC
    numbers = {"erin": "+14155550101", "rita": "+14155550102"}
    with runtime.database.writing() as db:
        for who, number in numbers.items():
            method = contacts.add_contact_method(db=db, actor=Actor.system(runtime.clock), user=cast[who],
                                                 kind="sms", address=number)
            contacts.add_rule(db=db, actor=Actor.system(runtime.clock), user=cast[who], contact_method_id=method.id)
    said = callers["bob"].ok("post", "/commands", {"text": f"/genie alert {PAGE} for @erin", "incident": "INC-2"})
    alert_id = said["data"]["alert_id"]
    drain(runtime)
    with runtime.database.reading() as db:
        [code] = db.scalars(sa.select(Notification.reply_code).where(Notification.alert_id == alert_id))
    before = snapshot(runtime)
    outsider = reply_of(post_signed(client, "/integrations/twilio/sms", sms_form(numbers["rita"], f"{code} ack"),
                                    token))
    assert outsider.startswith(f"No page with code {code} was sent to this number")
    assert not leaks(outsider) and snapshot(runtime) == before
    paged_one = reply_of(post_signed(client, "/integrations/twilio/sms", sms_form(numbers["erin"], f"{code} ack"),
                                     token))
    assert paged_one.startswith(f"Acknowledged alert #{alert_id} ({PAGE[:80]})")
