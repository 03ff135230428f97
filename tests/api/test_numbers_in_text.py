"""Numbers read from text (a path, a query, a form, a command) are ASCII digits within the stores' bound.

``"²".isdigit()`` is true but ``int("²")`` raises, and ``int("9" * 25)`` cannot be bound to SQLite: both were
500s wherever a reference could be an id or a name. Now they are names that match nothing, or the field's 4xx.
"""

from __future__ import annotations

import pytest

from warroom.core.bounds import MAX_INT, is_count

from ..compat.conftest import Keys
from ..factories import PASSWORD
from .conftest import stored

ODD = ["²", "9" * 25, str(MAX_INT + 1)]


def test_is_count_takes_only_ascii_digits_within_the_bound():
    assert is_count("0") and is_count("42") and is_count(str(MAX_INT))
    for text in ("", "²", "٣", "-1", "1.5", " 1", str(MAX_INT + 1), "9" * 25):
        assert not is_count(text), text


API = [
    "/api/v1/schedules/{v}",
    "/api/v1/escalation-policies/{v}",
    "/api/v1/oncall?target={v}",
    "/api/v1/insights?weeks={v}",
    "/api/v1/alerts/{v}",
]


@pytest.mark.parametrize("path", API)
def test_api_references_that_are_odd_numbers_are_a_4xx(team, runtime, path):
    before = stored(runtime)
    for value in ODD:
        response = team.as_alice.client.get(path.format(v=value), headers=team.as_alice.headers)
        assert 400 <= response.status_code < 500, (value, response.text[:200])
    assert stored(runtime) == before


@pytest.mark.parametrize("path", ["/v2/schedules/{v}/on-calls?scheduleIdentifierType=id",
                                  "/v2/alerts/{v}?identifierType=id", "/v2/alerts?limit={v}&offset=0",
                                  "/v2/heartbeats/{v}"])
def test_opsgenie_references_that_are_odd_numbers_are_its_4xx(client, runtime, factory, path):
    key = Keys(runtime, factory).make("opsgenie")
    for value in ODD:
        response = client.get(path.format(v=value), headers={"Authorization": f"GenieKey {key}"})
        assert 400 <= response.status_code < 500, (value, response.text[:200])


def test_web_pages_take_odd_page_numbers_as_the_first_page(team, client):
    client.get("/login")
    client.post("/login", data={"login": "alice", "password": PASSWORD, "next": "/",
                                "login_token": client.cookies.get("warroom_login") or ""}, follow_redirects=False)
    for path in ("/?page={v}", "/alerts?page={v}"):
        for value in ODD:
            response = client.get(path.format(v=value), headers={"accept": "text/html"})
            assert response.status_code == 200, (path, value, response.text[:200])
