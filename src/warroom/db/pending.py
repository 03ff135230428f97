"""Statements that need not flush the session first, when all it holds are new rows no statement reads back.

SQLAlchemy flushes the session before every statement it executes (ORM or Core). In a group-committed batch that
means one flush per piece of work, each with the unit of work's overhead, for rows (timeline events, audit entries,
request records) that the following statements never read. Run such a statement on ``db.connection()`` after
``flush_unless_appended``: it flushes only when the session holds something else (a changed or deleted row, or a
new row of another kind), so the statement always sees what it would have seen; otherwise the appended rows wait
and flush together at commit (one INSERT per table for the whole batch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session


def flush_unless_appended(db: Session, appended: tuple[type[Any], ...]) -> None:
    """Flush now unless the session's pending changes are only new rows of the ``appended`` kinds."""
    if db.dirty or db.deleted or any(not isinstance(row, appended) for row in db.new):
        db.flush()


# Rows written by one statement ---------------------------------------------------------------------------------
#
# The unit of work inserts a new row with RETURNING of its id, and on SQLite, which cannot pair returned ids with
# the rows of a multi-row INSERT, that is one INSERT per row. A row added with ``add`` is one its maker never
# reads back by its object (a timeline line, a queued notification, a job): at the next flush such rows are
# written by one INSERT per table (an executemany), in the order they were added, and the session lets go of
# them. Everything else is unchanged: they are written at the same flush, in the same transaction, a query after
# them sees them (autoflush flushes first), and a rolled-back savepoint drops them.

WrittenHook = Callable[[Session, list[Any]], None]
_ADDED = "warroom_rows_by_statement"
_written_hooks: list[WrittenHook] = []


def add(db: Session, row: object) -> None:
    """Add a new row to be written by one INSERT with the others of its flush; its object gets no id."""
    db.add(row)
    db.info.setdefault(_ADDED, []).append(row)


def when_written(hook: WrittenHook) -> None:
    """``hook(session, rows)`` runs after such rows are written: they never reach the unit of work's
    ``after_flush`` (which sees ``session.new``)."""
    _written_hooks.append(hook)


@event.listens_for(Session, "before_flush")
def _write_added(session: Session, _context: Any, objects: Any) -> None:
    if objects is not None or not session.info.get(_ADDED):
        return  # a flush of chosen objects: the unit of work writes them as usual
    added: list[Any] = session.info.pop(_ADDED)
    states = sorted((state for state in map(sa.inspect, added) if _writable(session, state)),
                    key=lambda state: state.insert_order)
    if not states:
        return
    connection = session.connection()
    for table, values in _runs(states):
        connection.execute(table.insert(), values)
    written = [state.obj() for state in states]
    for row in written:
        session.expunge(row)
    for hook in _written_hooks:
        hook(session, written)


def _writable(session: Session, state: Any) -> bool:
    """Still new in this session (not dropped with a savepoint), and with no relationship set: a row that names
    another by its object is left to the unit of work, which knows the order they must be written in."""
    return bool(state.pending and state.session_id == session.hash_key
                and not any(relation.key in state.dict for relation in state.mapper.relationships))


@event.listens_for(Session, "after_transaction_end")
def _forget_added(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_ADDED, None)


_COLUMNS: dict[Any, tuple[tuple[str, str], ...]] = {}


def _columns(mapper: Any) -> tuple[tuple[str, str], ...]:
    """A mapped class's (attribute, column) names, looked up once."""
    found = _COLUMNS.get(mapper)
    if found is None:
        found = _COLUMNS[mapper] = tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs)
    return found


def _runs(states: list[Any]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows as INSERT parameters: one run per table (in the order tables first appear) and set of columns
    given, each in the order its rows were added. Rows of different tables cannot depend on each other: none of
    them has an id to be referred to by."""
    runs: dict[tuple[sa.Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for state in states:
        table = state.mapper.local_table
        given = state.dict
        values = {column: given[key] for key, column in _columns(state.mapper) if key in given}
        runs.setdefault((table, tuple(values)), []).append(values)
    return [(table, values) for (table, _), values in runs.items()]
