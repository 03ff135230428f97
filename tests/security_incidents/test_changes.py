"""Recent changes and a private security incident: the incident's changes (API and page) open only for those who
may see it, everyone else gets what a missing incident gives; a change's line in its timeline stays in the
room; the service's own list of changes and the sender's answer never name the incident."""

from __future__ import annotations

import pytest
from markupsafe import escape

from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind

from ..api.conftest import assert_problem
from .conftest import BLIND, SECRET, SEES, same_but_number

DEPLOY = "Deploy signing-service v9 (rotated key material)"


@pytest.fixture
def changed(runtime, factory, client, incidents):
    """INC-2 (private) names the service 'signing'; CI reports a deploy on it with the service's key."""
    with runtime.database.writing() as db:
        from warroom.incidents import service as incident_service

        incident_service.get_incident(db=db, ref="INC-2").affected_services = ["signing"]
        secret = keys.create_key(db=db, actor=factory.system, name="signing", kind=KeyKind.pagerduty).secret
    sent = client.post("/v2/change/enqueue", json={"routing_key": secret, "payload": {"summary": DEPLOY}})
    assert sent.status_code == 202
    assert "INC-2" not in sent.text and SECRET not in sent.text
    return incidents


@pytest.mark.parametrize("who", SEES)
def test_the_private_incident_s_changes_open_for_those_who_may_see_it(callers, changed, who):
    caller = callers[who]
    found = caller.ok("get", "/incidents/INC-2/changes")
    assert found["services"] == ["signing"]
    assert [c["summary"] for c in found["before"] + found["during"]] == [DEPLOY]
    timeline = [e["body"] for e in caller.ok("get", "/incidents/INC-2/timeline")["items"]]
    assert f"Change on signing: {DEPLOY}" in timeline


@pytest.mark.parametrize("who", BLIND)
def test_the_private_incident_s_changes_are_not_found_for_everyone_else(callers, changed, who):
    caller = callers[who]
    hidden = caller.get("/incidents/INC-2/changes")
    missing = caller.get("/incidents/INC-99/changes")
    assert_problem(hidden, 404, contains="No incident INC-2.")
    assert same_but_number(missing.text, hidden.text)
    assert SECRET not in hidden.text and DEPLOY not in hidden.text


@pytest.mark.parametrize("who", SEES + BLIND)
def test_the_service_s_changes_never_name_the_incident(callers, changed, who):
    listed = callers[who].get("/changes", service="signing")
    assert [c["summary"] for c in listed.json()["items"]] == [DEPLOY]
    assert "INC-2" not in listed.text and SECRET not in listed.text


@pytest.mark.parametrize("who", SEES)
def test_the_changes_page_opens_for_those_who_may_see_it(browser, cast, changed, who):
    page = browser(cast[who]).get("/incidents/INC-2/changes")
    assert page.status_code == 200
    assert str(escape(DEPLOY)) in page.text


@pytest.mark.parametrize("who", BLIND)
def test_the_changes_page_is_not_found_for_everyone_else(browser, cast, changed, who):
    person = browser(cast[who])
    hidden = person.get("/incidents/INC-2/changes")
    missing = person.get("/incidents/INC-99/changes")
    assert hidden.status_code == 404 and missing.status_code == 404
    assert same_but_number(missing.text, hidden.text)
    assert str(escape(SECRET)) not in hidden.text and str(escape(DEPLOY)) not in hidden.text
    service_page = person.get("/changes?service=signing")
    assert str(escape(DEPLOY)) in service_page.text
    assert "INC-2" not in service_page.text and str(escape(SECRET)) not in service_page.text
