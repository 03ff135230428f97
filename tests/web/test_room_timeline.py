"""The room's timeline: the latest page only, paging back, and the SQL it costs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.runtime import Runtime
from warroom.timeline.models import EntryKind, TimelineEntry

ROOM_QUERY_BUDGET = 5  # issue 2: the incident page renders with at most 5 SQL queries


def add_messages(runtime: Runtime, incident_id: int, author_id: int, how_many: int) -> None:
    """Bulk-load a long room (a flow per message would take minutes for 10,000)."""
    start = runtime.clock.now()
    rows = [{"incident_id": incident_id, "kind": EntryKind.message if n % 4 else EntryKind.update,
             "actor_id": author_id, "body": f"Message {n}", "data": {}, "pinned": n % 1000 == 0,
             "created_at": start + timedelta(seconds=n)} for n in range(how_many)]
    with runtime.database.writing() as db:
        db.execute(sa.insert(TimelineEntry), rows)


def entry_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="entry[^"]*" id="e-(\d+)"', html)]


@pytest.fixture
def long_room(factory, people, runtime):
    incident = factory.incident(people.bob, title="Long outage", customer_impact=True)
    add_messages(runtime, incident.id, people.bob.id, 10_000)
    return incident


def test_the_room_of_10000_entries_renders_with_at_most_5_sql_statements(browser, people, long_room, runtime):
    bob = browser(people.bob)
    bob.post("/incidents/INC-1/roles", {"role": "lead", "who": "@bob"})
    bob.post("/incidents/INC-1/roles", {"role": "messenger", "who": "@carol"})
    bob.get("/incidents/INC-1")  # warm: the first request also loads SQLAlchemy's caches
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        page = bob.get("/incidents/INC-1")
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    # Every statement counts, SQLite's BEGIN included: sign-in, incident with roles, latest page, checklist.
    assert len(statements) <= ROOM_QUERY_BUDGET, "\n\n".join(statements)
    assert len(statements) >= 3  # the listener really saw the page's queries
    ids = entry_ids(page.text)
    assert len(ids) == 200
    assert ids == sorted(ids)
    assert "Message 9999" in page.text and "Message 9799" not in page.text
    assert "@carol" in page.text  # roles came with the incident


def test_load_earlier_pages_back_by_entry_id(browser, people, factory, runtime):
    incident = factory.incident(people.bob)
    add_messages(runtime, incident.id, people.bob.id, 450)
    bob = browser(people.bob)
    latest = bob.get("/incidents/INC-1")
    ids = entry_ids(latest.text)
    first = ids[0]
    assert f'href="/incidents/INC-1?before={first}"' in latest.text
    older = bob.get(f"/incidents/INC-1?before={first}")
    older_ids = entry_ids(older.text)
    assert len(older_ids) == 200 and older_ids[-1] == first - 1
    assert "Back to the latest" in older.text
    assert 'data-live="0"' in older.text  # an old page does not stream new entries
    oldest = bob.get(f"/incidents/INC-1?before={older_ids[0]}")
    assert "Load earlier entries" not in oldest.text
    assert entry_ids(oldest.text)[0] == 1
    assert len(set(ids) | set(older_ids) | set(entry_ids(oldest.text))) == 452  # declare + its note + 450


def test_the_entries_fragment_serves_the_script(browser, people, factory, runtime):
    incident = factory.incident(people.bob)
    add_messages(runtime, incident.id, people.bob.id, 250)
    bob = browser(people.bob)
    earlier = bob.get("/incidents/INC-1/entries?before=100")
    assert "<html" not in earlier.text
    assert entry_ids(earlier.text) == list(range(1, 100))
    assert earlier.headers["x-warroom-earlier"] == ""
    later = bob.get("/incidents/INC-1/entries?after=250")
    assert entry_ids(later.text) == [251, 252]
    page = bob.get("/incidents/INC-1/entries?before=252")
    assert page.headers["x-warroom-earlier"] == str(entry_ids(page.text)[0])
