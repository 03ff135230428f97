"""What is stored: every row of every table (so a test can prove refused input wrote nothing), jobs, checklist steps."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

import warroom.db.models  # noqa: F401  (registers every table on the metadata)
from warroom.checklists.models import ChecklistItem, ItemState
from warroom.db.base import Base
from warroom.engine.models import Job
from warroom.runtime import Runtime

Rows = dict[str, list[tuple[Any, ...]]]

# Touched by authentication itself (at most once a minute), so not part of "what a request wrote".
TOKEN_USE = frozenset({("api_tokens", "last_used_at")})
# The shared throttles' bookkeeping: a refused request still counts against its sender (warroom.throttles).
THROTTLES = frozenset({"throttle_counts", "throttle_hits", "used_form_tokens"})


def stored(runtime: Runtime, *, leave_out: Collection[tuple[str, str]] = TOKEN_USE,
           leave_out_tables: Collection[str] = THROTTLES) -> Rows:
    """Every row of every table in primary-key order, without the (table, column) pairs in ``leave_out``.

    By default the one column a signed-in read writes (a token's last use) and the throttles' tables are left
    out; pass ``leave_out=()`` and ``leave_out_tables=()`` to compare everything.
    """
    state: Rows = {}
    with runtime.database.reading() as db:
        for table in Base.metadata.sorted_tables:
            if table.name in leave_out_tables:
                continue
            columns = [c for c in table.columns if (table.name, c.name) not in leave_out]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in db.execute(query)]
    return state


def count(runtime: Runtime, table: str) -> int:
    """How many rows ``table`` holds."""
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) or 0)


def jobs(runtime: Runtime, kind: str) -> list[Job]:
    """The engine's jobs of one kind, oldest first, readable after the session is gone."""
    with runtime.database.reading() as db:
        found = list(db.scalars(sa.select(Job).where(Job.kind == kind).order_by(Job.id)))
        db.expunge_all()
        return found


def checklist_step(runtime: Runtime, incident_id: int, key: str) -> ItemState:
    """Where one step of an incident's checklist stands (open, done…)."""
    with runtime.database.reading() as db:
        item = db.scalar(sa.select(ChecklistItem).where(ChecklistItem.incident_id == incident_id,
                                                        ChecklistItem.key == key))
        assert item is not None, f"no checklist step {key!r} on incident {incident_id}"
        return item.state


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs, as sent (an executemany is one)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(" ".join(statement.split()))

    sa.event.listen(runtime.database.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(runtime.database.engine, "before_cursor_execute", record)
