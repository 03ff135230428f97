"""The incident detail's SQL cost does not grow with its rows: timeline, roles, checklist, playbooks (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from .conftest import declare


@contextmanager
def counting(runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(runtime.database.engine, "before_cursor_execute", record)


def _detail_queries(runtime, caller, ref) -> int:
    caller.get("/users/me")  # settle the token's last-use stamp so every read authenticates alike
    with counting(runtime) as statements:
        assert caller.get(f"/incidents/{ref}").status_code == 200
    return len(statements)


def _tick(caller, ref, key):
    caller.ok("put", f"/incidents/{ref}/checklist/{key}", {"state": "done"})


def test_more_rows_cost_no_more_queries(team, factory, runtime):
    factory.playbooks()
    bob, carol, alice = team.as_bob, team.as_carol, team.as_alice
    ref = declare(bob, title="Busy", customer_impact=True)["incident"]["ref"]
    bob.ok("post", f"/incidents/{ref}/roles", {"role": "lead", "user": "@bob"})
    bob.ok("post", f"/incidents/{ref}/roles", {"role": "messenger", "user": "@carol"})
    bob.ok("post", f"/incidents/{ref}/playbooks", {"slug": "database-degraded"})
    bob.ok("post", f"/incidents/{ref}/messages", {"text": "first look"}, status=201)
    _tick(alice, ref, "database-degraded-1")  # alice holds no role: she is looked up once, by person
    before = _detail_queries(runtime, team.as_vic, ref)

    # Many more rows of every kind, by the same people.
    bob.ok("post", f"/incidents/{ref}/roles", {"role": "scribe", "user": "@bob"})
    bob.ok("post", f"/incidents/{ref}/roles", {"role": "comms", "user": "@carol"})
    bob.ok("post", f"/incidents/{ref}/playbooks", {"slug": "sign-in-broken"})
    for n in range(60):
        bob.ok("post", f"/incidents/{ref}/messages", {"text": f"log line {n}"}, status=201)
    for caller, key in [(bob, "database-degraded-2"), (carol, "database-degraded-3"), (alice, "sign-in-broken-1"),
                        (bob, "sign-in-broken-2"), (carol, "sign-in-broken-3"), (alice, "sign-in-broken-4"),
                        (carol, "comms_confirmed"), (bob, "postmortem_generated")]:
        _tick(caller, ref, key)

    detail = team.as_vic.ok("get", f"/incidents/{ref}")
    assert [r["role"] for r in detail["roles"]] == ["lead", "messenger", "scribe", "comms"]
    assert detail["playbooks"] == ["database-degraded", "sign-in-broken"]
    assert {i["done_by"] for i in detail["checklist"] if i["done_by"]} == {"bob", "carol", "alice"}
    assert _detail_queries(runtime, team.as_vic, ref) == before
