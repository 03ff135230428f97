"""The web UI, page by page: the room and its fragments, the dashboard (list, search, open now, figures and
their drill-down) and the announcements page; flagging and adding people through the room's forms.
"""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from .conftest import BLIND, PUBLIC, ROOM_SECRET, SECRET, SEES, participants, private_state, same_but_number, snapshot

ESCAPED_SECRET = str(escape(SECRET))


@pytest.fixture
def talked(runtime, factory, incidents, cast):
    from warroom.incidents import flows

    with runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(cast.bob), ref="INC-2", text=ROOM_SECRET)
    return incidents


def refs(html: str) -> list[str]:
    return re.findall(r'<a href="/incidents/(INC-\d+)"><span class="ref">', html)


def figure(html: str, label: str) -> int:
    found = re.search(r'figure__n">(\d+)</span><span class="figure__label">' + label, html)
    assert found, label
    return int(found.group(1))


ROOM_PAGES = ["/incidents/{}", "/incidents/{}/panel", "/incidents/{}/entries", "/incidents/{}/playbooks"]


@pytest.mark.parametrize("who", SEES)
@pytest.mark.parametrize("path", ROOM_PAGES)
def test_the_room_and_its_fragments_open_for_those_who_may_see_it(browser, cast, talked, who, path):
    page = browser(cast[who]).get(path.format("INC-2"))
    assert page.status_code == 200
    if path.endswith("entries"):
        assert ROOM_SECRET in page.text
    else:
        assert ESCAPED_SECRET in page.text or "Private security incident" in page.text


@pytest.mark.parametrize("who", BLIND)
@pytest.mark.parametrize("path", ROOM_PAGES)
def test_the_room_and_its_fragments_are_not_found_for_everyone_else(browser, cast, talked, who, path):
    person = browser(cast[who])
    hidden = person.get(path.format("INC-2"))
    missing = person.get(path.format("INC-99"))
    assert hidden.status_code == 404 and missing.status_code == 404
    assert same_but_number(missing.text, hidden.text)
    assert ESCAPED_SECRET not in hidden.text and ROOM_SECRET not in hidden.text


def test_the_private_room_says_who_can_see_it_and_lists_who_takes_part(browser, cast, talked):
    page = browser(cast.bob).get("/incidents/INC-2").text
    assert "Private security incident." in page
    assert 'class="badge badge--private"' in page
    people = page.split('class="plain-list participants"')[1].split("</ul>")[0]
    assert "@bob" in people and "reporter" in people and "@sam" in people and "security team" in people
    assert 'action="/incidents/INC-2/participants"' in page
    assert "Security incident and disclosure" in page  # the playbook's steps are on the checklist
    public = browser(cast.bob).get("/incidents/INC-1").text
    assert 'action="/incidents/INC-1/security"' in public


@pytest.mark.parametrize(("who", "shown", "open_now", "critical_open"), [
    ("bob", ["INC-2", "INC-1"], 2, 1), ("sam", ["INC-2", "INC-1"], 2, 1), ("alice", ["INC-2", "INC-1"], 2, 1),
    ("rita", ["INC-1"], 1, 0), ("vic", ["INC-1"], 1, 0)])
def test_the_dashboard_lists_searches_and_counts_as_each_person_may_see(browser, cast, talked, who, shown, open_now,
                                                                        critical_open):
    person = browser(cast[who])
    page = person.get("/").text
    open_list, everything = page.split('id="list-h"')
    assert refs(everything) == shown
    assert refs(open_list.split('id="open-now-h"')[1]) == shown  # the open incidents listed first
    assert figure(page, "open now") == open_now
    assert figure(page, "critical open") == critical_open
    assert re.search(rf'<th scope="row">all</th><td>[^<]*</td><td>[^<]*</td><td>{open_now}</td>', page)
    # The figures' drill-down, search (title and room message) and filters agree with the counts.
    assert refs(person.get("/?active=yes").text) == shown
    assert refs(person.get("/?active=yes&severity=critical").text) == [r for r in shown if r == "INC-2"]
    assert refs(person.get("/?q=deploy+key").text) == [r for r in shown if r == "INC-2"]
    assert refs(person.get("/?q=hunter2").text) == [r for r in shown if r == "INC-2"]
    if "INC-2" not in shown:
        assert ESCAPED_SECRET not in page


@pytest.mark.parametrize("who", SEES)
def test_the_announcements_page_shows_the_line_to_those_who_may_see_it(browser, cast, talked, who):
    page = browser(cast[who]).get("/announcements").text
    assert f"New incident INC-2 [critical] {ESCAPED_SECRET}" in page
    assert 'href="/incidents/INC-2"' in page


@pytest.mark.parametrize("who", BLIND)
def test_the_announcements_page_shows_everyone_else_a_redacted_line(browser, cast, talked, who):
    page = browser(cast[who]).get("/announcements").text
    assert "A private security incident was declared (INC-2)" in page
    assert ESCAPED_SECRET not in page
    assert 'href="/incidents/INC-2"' not in page
    assert f"New incident INC-1 [major] {PUBLIC}" in page


def test_a_non_participant_posting_to_the_private_room_gets_not_found_and_writes_nothing(browser, cast, talked,
                                                                                         runtime):
    rita = browser(cast.rita)
    before = snapshot(runtime)
    for path, form in [("/incidents/INC-2/messages", {"text": "hello?"}),
                       ("/incidents/INC-2/messages", {"text": "/incident invite @rita"}),
                       ("/incidents/INC-2/status", {"status": "identified"}),
                       ("/incidents/INC-2/participants", {"who": "@rita"})]:
        page = rita.post(path, form)
        assert page.status_code == 404, path
        assert ESCAPED_SECRET not in page.text
        assert rita.post(path, form, fetch=True).json() == {"ok": False, "error": "No incident INC-2.",
                                                            "field": "incident"}
    assert snapshot(runtime) == before


def test_flagging_from_the_room_makes_it_private_from_then_on(browser, cast, talked, runtime):
    bob, rita = browser(cast.bob), browser(cast.rita)
    assert bob.get("/incidents/INC-1").status_code == 200
    done = rita.post("/incidents/INC-1/security", {"security": "1"})
    assert done.status_code == 303
    assert private_state(runtime, "INC-1")
    assert bob.get("/incidents/INC-1").status_code == 404
    assert "INC-1" not in refs(bob.get("/").text)
    assert participants(runtime, 1) == {"sam": "security team"}
    assert "Private security incident." in rita.get("/incidents/INC-1").text


def test_flagging_with_the_composer_command(browser, cast, talked, runtime):
    reply = browser(cast.rita).post("/incidents/INC-1/messages", {"text": "/incident security"}, fetch=True)
    assert reply.json()["message"] == "Updated INC-1: security: yes"
    assert private_state(runtime, "INC-1")


def test_a_viewer_cannot_flag_from_the_room_and_nothing_is_written(browser, cast, talked, runtime):
    vic, rita = browser(cast.vic), browser(cast.rita)
    before = snapshot(runtime)
    reply = vic.post("/incidents/INC-1/security", {"security": "1"}, fetch=True)
    assert reply.status_code == 403 and "viewer access" in reply.json()["error"]
    assert snapshot(runtime) == before
    unknown = rita.post("/incidents/INC-77/security", {"security": "1"})
    assert unknown.status_code == 404 and "No incident INC-77." in unknown.text
    assert snapshot(runtime) == before


def test_a_participant_adds_someone_with_the_form_or_the_command(browser, cast, talked, runtime):
    bob, erin = browser(cast.bob), browser(cast.erin)
    assert erin.get("/incidents/INC-2").status_code == 404
    assert bob.post("/incidents/INC-2/participants", {"who": "@erin"}).status_code == 303
    assert ESCAPED_SECRET in erin.get("/incidents/INC-2").text
    assert "Added @erin to this private incident" in bob.get("/incidents/INC-2").text
    reply = bob.post("/incidents/INC-2/messages", {"text": "/incident invite @rita"}, fetch=True)
    assert reply.json()["message"] == "Added @rita to INC-2"
    assert browser(cast.rita).get("/incidents/INC-2").status_code == 200
    assert participants(runtime, 2) == {"sam": "security team", "erin": "invited", "rita": "invited"}


def test_adding_an_unknown_person_is_refused_beside_the_form(browser, cast, talked, runtime):
    bob = browser(cast.bob)
    before = snapshot(runtime)
    page = bob.post("/incidents/INC-2/participants", {"who": "@ghost"})
    assert page.status_code == 404
    assert "No user &#39;@ghost&#39;" in page.text
    assert 'id="d-invite" open' in page.text
    assert snapshot(runtime) == before


def test_the_alert_page_does_not_show_a_private_incidents_title(browser, cast, talked, runtime, factory):
    from warroom.oncall import paging

    with runtime.database.writing() as db:
        paged = paging.page(db=db, actor=factory.actor(cast.bob), description="please look", target="@sam",
                            incident_ref="INC-2")
    page = browser(cast.rita).get(f"/alerts/{paged.alert_id}").text
    assert "a private security incident" in page
    assert ESCAPED_SECRET not in page


def test_declaring_a_security_incident_from_the_form_makes_it_private_at_once(browser, cast, incidents, runtime):
    bob, rita = browser(cast.bob), browser(cast.rita)
    done = bob.post("/incidents/new", {"title": "Credential stuffing on the login page", "severity": "critical",
                                       "security": "1", "affected_services": "auth"})
    assert done.status_code == 303 and done.headers["location"] == "/incidents/INC-3"
    room = bob.get("/incidents/INC-3").text
    assert "Private security incident." in room
    # The security-disclosure playbook is attached already, so it is not offered again.
    suggested = room.split('class="suggestions__list"')[1].split("</ul>")[0]
    assert "/playbooks/sign-in-broken" in suggested
    assert "/playbooks/security-disclosure" not in suggested
    assert participants(runtime, 3) == {"sam": "security team"}
    assert rita.get("/incidents/INC-3").status_code == 404
    assert "INC-3" not in refs(rita.get("/").text)
