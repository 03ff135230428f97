"""The audit log is append-only at the database itself."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from warroom.audit.models import AuditEntry


def test_every_mutation_is_audited_and_rows_cannot_change(runtime, factory):
    bob = factory.user("bob")
    factory.incident(bob)
    with runtime.database.reading() as db:
        actions = list(db.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.create", "incident.declare"]
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.update(AuditEntry).values(action="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), runtime.database.writing() as db:
        db.execute(sa.delete(AuditEntry))
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 2
