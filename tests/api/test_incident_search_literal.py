"""Incident search takes '%' and '_' literally (they are not LIKE wildcards), in the API and on the dashboard."""

from __future__ import annotations

import re

import pytest

from warroom.accounts.models import AccessRole, TokenScope
from warroom.incidents import flows

from ..factories import PASSWORD
from ..web.conftest import sign_in


@pytest.fixture
def searchable(factory, runtime):
    lead = factory.user("bob", AccessRole.responder)
    factory.incident(lead, title="Checkout errors at 100% of requests")  # INC-1
    factory.incident(lead, title="The disk_full alarm on db-2")  # INC-2
    factory.incident(lead, title="Search is slow")  # INC-3
    quiet = factory.incident(lead, title="Login is slow")  # INC-4: its room says '50%'
    with runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(lead), ref=quiet.ref, text="errors down to 50% now")
    return factory.token(lead, TokenScope.read)


@pytest.mark.parametrize(("q", "expected"), [
    ("%", ["INC-1", "INC-4"]),
    ("_", ["INC-2"]),
    ("0%", ["INC-1", "INC-4"]),
    ("disk_full", ["INC-2"]),
    ("disk%full", []),
    ("s_ow", []),
    ("slow", ["INC-3", "INC-4"]),
])
def test_the_api_matches_percent_and_underscore_only_as_themselves(client, searchable, q, expected):
    answer = client.get("/api/v1/incidents", params={"q": q}, headers={"Authorization": f"Bearer {searchable}"})
    assert answer.status_code == 200, answer.text
    assert sorted(item["ref"] for item in answer.json()["items"]) == expected


def test_the_dashboard_search_box_takes_percent_literally(client, searchable):
    assert sign_in(client, "bob", PASSWORD).status_code in (200, 303)
    page = client.get("/", params={"q": "%"}, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert sorted(set(re.findall(r'<a href="/incidents/(INC-\d+)"><span class="ref">', page.text))) == [
        "INC-1", "INC-4"]
