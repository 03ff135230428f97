"""The dashboard: every incident, its filters, search, pages and headline figures."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from warroom.incidents import flows


def refs(html: str) -> list[str]:
    return re.findall(r'<a href="/incidents/(INC-\d+)"><span class="ref">', html)


@pytest.fixture
def history(factory, people, runtime, clock):
    """Four incidents over three days: open, resolved, a false positive, one led by carol."""
    bob, carol = factory.actor(people.bob), factory.actor(people.carol)
    factory.incident(people.bob, title="Search returns nothing", severity="critical", customer_impact=True)
    clock.advance(timedelta(days=1))
    factory.incident(people.bob, title="Slow dashboards", severity="major")
    clock.advance(timedelta(days=1))
    factory.incident(people.carol, title="Login page flaky", severity="critical")
    factory.incident(people.carol, title="Billing export late", severity="major")
    with runtime.database.writing() as db:
        flows.assign_role(db=db, actor=bob, ref="INC-1", role="lead", who="@bob")
        flows.acknowledge(db=db, actor=bob, ref="INC-1")
        flows.post_message(db=db, actor=bob, ref="INC-1", text="The shard rebalancer is stuck")
        flows.resolve_incident(db=db, actor=bob, ref="INC-2")
        flows.resolve_incident(db=db, actor=carol, ref="INC-3", false_positive=True)
        flows.assign_role(db=db, actor=carol, ref="INC-4", role="lead", who="@carol")
    clock.advance(timedelta(hours=2))


def test_all_incidents_newest_first_with_headline_figures(browser, people, history):
    page = browser(people.bob).get("/")
    assert page.status_code == 200
    # The open ones come first, then every incident, newest first.
    open_now, everything = page.text.split('id="list-h"')
    assert refs(open_now.split('id="open-now-h"')[1]) == ["INC-4", "INC-1"]
    assert refs(everything) == ["INC-4", "INC-3", "INC-2", "INC-1"]
    assert open_now.index('id="open-now-h"') < open_now.index("Last 30 days")
    figures = page.text.split('class="figure-cards"')[1].split("</div>")[0]
    assert re.search(r'figure__n">2</span><span class="figure__label">open now', figures)
    assert re.search(r'figure__n">1</span><span class="figure__label">critical open', figures)
    assert "Last 30 days" in page.text and "Last 90 days" in page.text
    # MTTR for major in the last 30 days: INC-2 was resolved a day after it was declared.
    assert re.search(r"<th scope=\"row\">major</th><td>—</td><td>24h 00m</td><td>2</td><td>0</td>", page.text)
    # Critical: INC-1's lead acknowledged two days in; INC-3 was resolved at once, as a false positive.
    assert re.search(r"<th scope=\"row\">critical</th><td>2d 0h</td><td>0s</td><td>2</td><td>1</td>", page.text)


@pytest.mark.parametrize(("query", "expected"), [
    ("severity=critical", ["INC-3", "INC-1"]),
    ("status=resolved", ["INC-3", "INC-2"]),
    ("active=yes", ["INC-4", "INC-1"]),
    ("active=no", ["INC-3", "INC-2"]),
    ("lead=@carol", ["INC-4"]),
    ("false_positive=yes", ["INC-3"]),
    ("false_positive=no", ["INC-4", "INC-2", "INC-1"]),
    ("customer_impact=yes", ["INC-1"]),
    ("from=2026-01-06&to=2026-01-06", ["INC-2"]),
    ("from=2026-01-07", ["INC-4", "INC-3"]),
    ("q=rebalancer", ["INC-1"]),  # a room message
    ("q=LOGIN", ["INC-3"]),
    ("q=login&severity=major", []),
])
def test_filters_and_search(browser, people, history, query, expected):
    page = browser(people.bob).get(f"/?{query}")
    assert page.status_code == 200
    assert refs(page.text) == expected
    if not expected:
        assert "No incident matches these filters." in page.text


def test_a_bad_filter_is_a_red_line_not_a_crash(browser, people, history):
    bob = browser(people.bob)
    page = bob.get("/?from=yesterday")
    assert page.status_code == 422
    assert "&#39;yesterday&#39; is not a date; use YYYY-MM-DD." in page.text
    assert refs(page.text) == []
    assert "Unknown severity &#39;sev0&#39;" in bob.get("/?severity=sev0").text


def test_pages_of_fifty_keep_the_filters(browser, people, factory):
    for n in range(55):
        factory.incident(people.bob, title=f"Flaky job {n}", severity="major")
    bob = browser(people.bob)
    first = bob.get("/?severity=major")
    assert len(refs(first.text)) == 50
    assert "page 1 of 2" in first.text
    assert 'href="/?severity=major&amp;page=2"' in first.text
    second = bob.get("/?severity=major&page=2")
    assert refs(second.text) == ["INC-5", "INC-4", "INC-3", "INC-2", "INC-1"]


def test_the_search_box_and_filters_are_labelled(browser, people):
    page = browser(people.vic).get("/")
    for field in ("q", "f-active", "f-status", "f-severity", "f-lead", "f-from", "f-to", "f-fp", "f-ci"):
        assert f'for="{field}"' in page.text and f'id="{field}"' in page.text
    assert "No incidents yet." in page.text
