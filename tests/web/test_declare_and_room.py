"""Declaring an incident and using its room from the browser, without JavaScript (form posts)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from warroom.incidents import service as incidents
from warroom.incidents.models import Incident
from warroom.roles import service as roles
from warroom.runtime import Runtime
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

from .conftest import counts


def incident(runtime: Runtime, ref: str = "INC-1") -> Incident:
    with runtime.database.reading() as db:
        return incidents.get_incident(db=db, ref=ref)


def incident_count(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Incident)) or 0)


def last_entry(runtime: Runtime, ref: str = "INC-1") -> timeline.EntryView:
    with runtime.database.reading() as db:
        return timeline.list_entries(db=db, incident_id=incidents.parse_ref(ref), limit=1)[-1]


# Declare ---------------------------------------------------------------------------------------------


def test_the_declare_form_explains_both_severities_and_the_minor_route(browser, people):
    page = browser(people.bob).get("/incidents/new")
    assert page.status_code == 200
    assert "Very high impact to customers" in page.text
    assert "Significant impact" in page.text
    assert "normal support and feedback process" in page.text
    assert page.text.count('type="radio" name="severity"') == 2


def test_declaring_opens_the_room_with_suggested_playbooks(browser, people, factory, runtime):
    factory.playbooks()
    bob = browser(people.bob)
    response = bob.post("/incidents/new", {
        "title": "Checkout returns 500 after the deploy", "severity": "critical", "description": "Since 10:02",
        "customer_impact": "1", "affected_services": "api, web", "external_reporter": "Acme support ticket 88",
    })
    assert response.status_code == 303
    assert response.headers["location"] == "/incidents/INC-1"
    declared = incident(runtime)
    assert declared.title == "Checkout returns 500 after the deploy"
    assert declared.customer_impact and declared.affected_services == ["api", "web"]
    assert declared.external_reporter == "Acme support ticket 88"

    room = bob.get("/incidents/INC-1")
    assert "Declared INC-1 (critical)" in room.text
    assert "Suggested playbooks" in room.text
    assert 'href="/playbooks/roll-back-a-bad-deploy"' in room.text
    assert 'name="slug" value="roll-back-a-bad-deploy"' in room.text  # attachable right there
    assert "acknowledge to them that the incident is being handled" in room.text
    # The suggestions were a note for the first view of the room, not a fixture of it.
    assert "Suggested playbooks." not in bob.get("/incidents/INC-1").text


def test_a_minor_severity_is_refused_with_the_support_route_and_nothing_is_written(browser, people, runtime):
    bob = browser(people.bob)
    before = counts(runtime)
    response = bob.post("/incidents/new", {"title": "Typo on the pricing page", "severity": "minor"})
    assert response.status_code == 422
    assert "normal support/feedback process" in response.text
    assert 'class="error" role="alert"' in response.text
    assert 'value="Typo on the pricing page"' in response.text  # kept for the next try
    assert incident_count(runtime) == 0
    assert counts(runtime) == before


def test_an_empty_title_is_refused(browser, people, runtime):
    response = browser(people.bob).post("/incidents/new", {"title": "  ", "severity": "major"})
    assert response.status_code == 422
    assert "the title cannot be empty" in response.text
    assert 'aria-invalid="true"' in response.text
    assert incident_count(runtime) == 0


def test_a_viewer_sees_the_form_read_only_and_cannot_declare(browser, people, runtime):
    vic = browser(people.vic)
    page = vic.get("/incidents/new")
    assert "Viewers cannot declare incidents" in page.text
    assert '<button type="submit" class="btn btn--danger"' not in page.text
    response = vic.post("/incidents/new", {"title": "Search is down", "severity": "critical"})
    assert response.status_code == 403
    assert "needs responder access" in response.text
    assert incident_count(runtime) == 0


def test_declaring_without_the_csrf_token_is_refused(browser, people, runtime):
    response = browser(people.bob).post("/incidents/new", {"title": "Search is down", "severity": "critical"},
                                        csrf=False)
    assert response.status_code == 403
    assert "security token is missing or stale" in response.text
    assert incident_count(runtime) == 0


# The room --------------------------------------------------------------------------------------------


def test_the_room_shows_the_timeline_numbered_with_pin_buttons_and_the_panel(browser, people, factory):
    factory.incident(people.bob, title="Search is down")
    page = browser(people.bob).get("/incidents/INC-1")
    assert page.status_code == 200
    assert "<h1" in page.text and "Search is down" in page.text
    assert 'class="entry entry--declared"' in page.text
    assert 'class="entry entry--system"' in page.text
    assert re.search(r'<a class="entry__no" href="#e-1"[^>]*>#1</a>', page.text)
    assert 'action="/incidents/INC-1/pins/1"' in page.text
    assert 'id="composer"' in page.text
    assert "No incident lead yet." in page.text
    assert 'data-key="github_issues_updated"' in page.text
    assert "First response" in page.text and "After resolution" in page.text
    # Closing ticks these two itself; they offer no buttons.
    closing = page.text.split('id="c-status_closed"')[1].split("</li>")[0]
    assert "Ticked when the incident closes." in closing and "<button" not in closing


def test_an_unknown_room_is_a_404_page(browser, people):
    response = browser(people.bob).get("/incidents/INC-404")
    assert response.status_code == 404
    assert "No incident INC-404." in response.text


def test_a_message_is_posted_and_shown_escaped(browser, people, factory, runtime):
    factory.incident(people.bob)
    bob = browser(people.bob)
    response = bob.post("/incidents/INC-1/messages", {"text": "<script>alert('pwned')</script> looking at logs"})
    assert response.status_code == 303
    assert response.headers["location"] == "/incidents/INC-1#composer"
    entry = last_entry(runtime)
    assert entry.kind is EntryKind.message
    assert entry.body.startswith("<script>")
    page = bob.get("/incidents/INC-1")
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; looking at logs" in page.text
    assert "<script>alert" not in page.text


def test_a_title_with_markup_is_escaped_everywhere(browser, people, factory):
    factory.incident(people.bob, title='<img src=x onerror="alert(1)">')
    bob = browser(people.bob)
    for path in ("/incidents/INC-1", "/", "/announcements", "/incidents/INC-1/panel"):
        text = bob.get(path).text
        assert "<img src=x" not in text, path
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in bob.get("/incidents/INC-1").text


def test_an_empty_message_is_refused_and_nothing_is_written(browser, people, factory, runtime):
    factory.incident(people.bob)
    bob = browser(people.bob)
    before = counts(runtime)
    response = bob.post("/incidents/INC-1/messages", {"text": "   "})
    assert response.status_code == 422
    assert "The message cannot be empty." in response.text
    assert counts(runtime) == before


def test_a_command_runs_and_its_reply_shows_by_the_composer(browser, people, factory, runtime):
    factory.incident(people.alice)
    alice = browser(people.alice)
    response = alice.post("/incidents/INC-1/messages", {"text": "/incident lead @bob"})
    assert response.status_code == 303
    page = alice.get("/incidents/INC-1")
    reply = page.text.split('class="composer__reply"', 1)[1].split("</form>", 1)[0]
    assert "@bob is the incident lead of INC-1" in reply
    with runtime.database.reading() as db:
        assert [(a.role, u.handle) for a, u in roles.holders(db=db, incident_id=1)] == [("lead", "bob")]


def test_command_help_is_answered_in_the_room(browser, people, factory):
    factory.incident(people.bob)
    reply = browser(people.bob).post("/incidents/INC-1/messages", {"text": "/incident help"}, fetch=True).json()
    assert reply["ok"] is True
    assert "/incident lead @user" in reply["message"]


def test_a_wrong_command_gets_its_usage_and_writes_nothing(browser, people, factory, runtime):
    factory.incident(people.bob)
    bob = browser(people.bob)
    before = counts(runtime)
    response = bob.post("/incidents/INC-1/messages", {"text": "/incident lead"})
    assert response.status_code == 400
    assert "Usage: /incident lead @user" in response.text
    assert 'value="/incident lead"' not in response.text  # a textarea keeps it as text instead
    assert ">/incident lead</textarea>" in response.text
    typo = bob.post("/incidents/INC-1/messages", {"text": "/incident laed @bob"}, fetch=True)
    assert typo.status_code == 400
    assert "Did you mean 'lead'?" in typo.json()["error"]
    assert counts(runtime) == before


def test_a_command_that_declares_links_to_the_new_room(browser, people, factory):
    factory.incident(people.bob)
    reply = browser(people.bob).post(
        "/incidents/INC-1/messages", {"text": "/incident declare Billing emails bounce --severity major"},
        fetch=True).json()
    assert reply["ok"] and reply["link"] == "/incidents/INC-2"


def test_text_that_only_mentions_incident_is_a_message(browser, people, factory, runtime):
    factory.incident(people.bob)
    browser(people.bob).post("/incidents/INC-1/messages", {"text": "incident lead should be bob?"})
    assert last_entry(runtime).kind is EntryKind.message


def test_posting_without_the_csrf_token_is_refused_and_writes_nothing(browser, people, factory, runtime):
    factory.incident(people.bob)
    bob = browser(people.bob)
    before = counts(runtime)
    response = bob.post("/incidents/INC-1/messages", {"text": "hello"}, csrf=False)
    assert response.status_code == 403
    assert "security token is missing or stale" in response.text
    wrong = bob.post("/incidents/INC-1/status", {"status": "identified", "csrf_token": "forged"}, fetch=True)
    assert wrong.status_code == 403
    assert counts(runtime) == before


def test_a_viewer_sees_the_room_with_disabled_controls_and_is_refused(browser, people, factory, runtime):
    factory.incident(people.bob)
    vic = browser(people.vic)
    page = vic.get("/incidents/INC-1")
    assert page.status_code == 200
    assert "you can follow incidents but not change them" in page.text
    assert re.search(r'<textarea id="composer-text"[^>]*\bdisabled\b', page.text, re.S)
    assert 'action="/incidents/INC-1/status"' not in page.text
    assert 'action="/incidents/INC-1/pins/' not in page.text
    before = counts(runtime)
    for path, data in [("/incidents/INC-1/messages", {"text": "hi"}),
                       ("/incidents/INC-1/messages", {"text": "/incident lead @vic"}),
                       ("/incidents/INC-1/status", {"status": "identified"}),
                       ("/incidents/INC-1/checklist/paged", {"state": "done"})]:
        response = vic.post(path, data)
        assert response.status_code == 403, path
        assert "@vic has viewer access; this needs responder" in response.text
    assert counts(runtime) == before


def test_the_panel_fragment_is_the_side_panel_alone(browser, people, factory):
    factory.incident(people.bob)
    fragment = browser(people.bob).get("/incidents/INC-1/panel")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert 'id="panel-badges"' in fragment.text
    assert "Where it stands" in fragment.text
