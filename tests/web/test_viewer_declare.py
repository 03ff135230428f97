"""Viewers and declaring: no red button, a page that says they need responder access, nothing typed lost."""

from __future__ import annotations

import re

from .conftest import counts

RED_BUTTON = re.compile(r'<a class="btn btn--danger[^"]*" href="/incidents/new"')
SUBMIT = '<button type="submit" class="btn btn--danger">Declare incident</button>'


def test_viewers_see_no_declare_button_and_are_told_what_access_they_need(browser, people, runtime):
    vic, bob = browser(people.vic), browser(people.bob)
    assert RED_BUTTON.search(bob.get("/").text)
    home = vic.get("/").text
    assert not RED_BUTTON.search(home)
    assert 'href="/report"' in home

    form = vic.get("/incidents/new")
    assert form.status_code == 200
    assert "Declaring an incident needs responder access." in form.text
    assert SUBMIT not in form.text
    assert re.search(r'<input id="title"[^>]* readonly', form.text)
    assert re.search(r'<textarea id="description"[^>]* readonly', form.text)
    assert SUBMIT in bob.get("/incidents/new").text

    # A viewer's post (say the page was open when their access was lowered) keeps every word they typed.
    before = counts(runtime)
    typed = {"title": "Search is slow for me", "description": "Since 09:00, every query takes 20 s",
             "severity": "major", "affected_services": "search", "external_reporter": "Acme support"}
    refused = vic.post("/incidents/new", typed)
    assert refused.status_code == 403
    assert "Declaring an incident needs responder access." in refused.text
    assert "What you typed is kept below" in refused.text
    for value in typed.values():
        assert value in refused.text, value
    assert SUBMIT not in refused.text
    assert counts(runtime) == before
