"""The close refusal names each open step by the key `tick`/`skip` take, on every transport."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from ..web.conftest import sign_in
from .conftest import assert_problem, declare

MISSING_LIST = re.compile(r'<ul class="missing">(.*?)</ul>', re.S)


def _resolved(team):
    ref = declare(team.as_bob)["incident"]["ref"]
    team.as_bob.ok("post", f"/incidents/{ref}/resolve", {"text": "rolled back"})
    return ref


def test_the_refusal_names_the_keys_and_ticking_those_keys_lets_it_close(team):
    ref = _resolved(team)
    refused = assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {}), 409, contains="cannot close yet")
    assert refused["missing"]
    for key in refused["missing"]:
        assert f"[{key}]" in refused["detail"], refused["detail"]
    assert f"/incident tick {ref} {refused['missing'][0]}" in refused["detail"]
    for key in refused["missing"]:  # the keys named are exactly what tick takes
        team.as_bob.ok("put", f"/incidents/{ref}/checklist/{key}", {"state": "done"})
    assert team.as_bob.ok("post", f"/incidents/{ref}/close", {})["incident"]["status"] == "closed"


def test_the_chat_reply_names_the_keys(team):
    ref = _resolved(team)
    refused = assert_problem(team.as_bob.post("/commands", {"text": "/incident close", "incident": ref}), 409)
    for key in refused["missing"]:
        assert f"[{key}]" in refused["detail"], refused["detail"]
    for key in refused["missing"]:
        reply = team.as_bob.ok("post", "/commands", {"text": f"/incident skip {key} not needed", "incident": ref})
        assert reply["message"]
    closed = team.as_bob.ok("post", "/commands", {"text": "/incident close", "incident": ref})
    assert "closed" in closed["message"]


def test_the_web_close_form_shows_each_open_steps_key(team, client: TestClient):
    ref = _resolved(team)
    missing = assert_problem(team.as_bob.post(f"/incidents/{ref}/close", {}), 409)["missing"]
    sign_in(client, team.bob.handle)
    page = client.get(f"/incidents/{ref}", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Close the incident" in page.text
    [listed] = MISSING_LIST.findall(page.text)
    for key in missing:
        assert f"<code>{key}</code>" in listed, listed
