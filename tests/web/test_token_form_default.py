"""The web token form offers, by default, a token that can do what its owner can (the tour's calls then work)."""

from __future__ import annotations

import re

import pytest

SELECTED = re.compile(r'<select id="t-scope" name="scope">(.*?)</select>', re.S)


def selected_scope(html: str) -> list[str]:
    [options] = SELECTED.findall(html)
    return re.findall(r'<option value="(\w+)" selected>', options)


@pytest.mark.parametrize(("who", "scope"), [("vic", "read"), ("bob", "write"), ("alice", "admin")])
def test_the_default_scope_is_the_persons_own_access(browser, people, who, scope):
    form = browser(getattr(people, who)).get("/settings/tokens")
    assert form.status_code == 200
    assert selected_scope(form.text) == [scope]


def test_a_refused_form_keeps_the_scope_that_was_chosen(browser, people):
    bob = browser(people.bob)
    refused = bob.post("/settings/tokens", {"name": " ", "scope": "read"})
    assert "Give the token a name" in refused.text
    assert selected_scope(refused.text) == ["read"]
