"""Every mutation through the API leaves an audit row; the audit table refuses UPDATE and DELETE."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from warroom.audit.models import AuditEntry

from .conftest import count, declare


def _audit_actions(runtime, since: int) -> list[str]:
    with runtime.database.reading() as db:
        query = sa.select(AuditEntry.action).where(AuditEntry.id > since).order_by(AuditEntry.id)
        return list(db.scalars(query))


def _last_id(runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0)


def test_every_mutation_writes_an_audit_row(team, factory, runtime):
    factory.playbooks()
    bob, alice = team.as_bob, team.as_alice
    ref = declare(bob, customer_impact=True)["incident"]["ref"]
    steps = [
        (bob, "patch", f"/incidents/{ref}", {"description": "More detail"}, "incident.details"),
        (bob, "post", f"/incidents/{ref}/roles", {"role": "lead", "user": "@bob"}, "incident.assign_role"),
        (bob, "post", f"/incidents/{ref}/acknowledge", {}, "incident.acknowledge"),
        (bob, "post", f"/incidents/{ref}/updates", {"kind": "plan", "text": "roll back"}, "incident.update"),
        (bob, "put", f"/incidents/{ref}/summary", {"summary": "Known now"}, "incident.summary"),
        (bob, "post", f"/incidents/{ref}/status", {"status": "identified"}, "incident.status"),
        (bob, "put", f"/incidents/{ref}/severity", {"severity": "major"}, "incident.severity"),
        (bob, "post", f"/incidents/{ref}/playbooks", {"slug": "database-degraded"}, "incident.attach_playbook"),
        (bob, "put", f"/incidents/{ref}/pins/1", None, "incident.pin"),
        (bob, "post", f"/incidents/{ref}/resolve", {}, "incident.resolve"),
        (bob, "put", f"/incidents/{ref}/checklist/comms_confirmed", {"state": "done"}, "incident.checklist"),
        (alice, "post", f"/incidents/{ref}/close", {"reason": "tested"}, "incident.close"),
        (bob, "post", "/commands", {"text": "/incident declare Queue stuck --severity major"}, "incident.declare"),
        (bob, "post", "/playbooks", {"slug": "cache", "title": "Cache", "body_md": "- [ ] flush"}, "playbook.create"),
        (bob, "put", "/playbooks/cache", {"title": "Cache", "body_md": "- [ ] flush it"}, "playbook.update"),
        (alice, "post", "/users", {"handle": "eve", "email": "eve@example.com", "name": "Eve"}, "user.create"),
        (alice, "post", "/teams", {"slug": "sre", "name": "SRE"}, "team.create"),
        (alice, "post", "/teams/sre/members", {"user": "@eve"}, "team.add_member"),
        (bob, "post", "/tokens", {"name": "ci", "scope": "read"}, "token.create"),
    ]
    for caller, method, path, body, action in steps:
        since = _last_id(runtime)
        response = getattr(caller, method)(path, body)
        assert response.status_code in (200, 201), response.text
        assert action in _audit_actions(runtime, since), (path, _audit_actions(runtime, since))


def test_a_room_message_writes_an_audit_row(team, runtime):
    ref = declare(team.as_bob)["incident"]["ref"]
    audited = count(runtime, "audit_log")
    team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": "Looking at the logs"}, status=201)
    assert count(runtime, "audit_log") == audited + 1


def test_the_audit_table_refuses_update_and_delete(team, runtime):
    declare(team.as_bob)
    rows = count(runtime, "audit_log")
    assert rows > 0
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.update(AuditEntry).values(action="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.delete(AuditEntry).where(AuditEntry.action == "incident.declare"))
    assert count(runtime, "audit_log") == rows
    assert "tampered" not in [e["action"] for e in team.as_alice.ok("get", "/audit?limit=200")["items"]]


def test_the_audit_log_pages_back_by_id(team):
    entries = team.as_alice.ok("get", "/audit?limit=200")["items"]
    assert len(entries) >= 6
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)
    first = team.as_alice.ok("get", "/audit?limit=2")
    assert [e["id"] for e in first["items"]] == ids[:2]
    assert first["has_more"] is True
    second = team.as_alice.ok("get", f"/audit?limit=2&before={ids[1]}")
    assert [e["id"] for e in second["items"]] == ids[2:4]
    last = team.as_alice.ok("get", f"/audit?limit=200&before={ids[1]}")
    assert last["has_more"] is False
