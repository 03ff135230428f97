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
# the rows of a multi-row INSERT, that is one INSERT per row; and each row is a whole ORM object to build, add,
# track and flush. A row added with ``add`` is one its maker never reads back (a timeline line, a queued
# notification, a job): it is kept as its values, and at the next flush all such rows are written by one INSERT
# per table (an executemany), in the order they were added.
#
# The first row since the last flush is also added to the session as an object (the rest are values only): it
# makes the session dirty, so whatever flushes the session (a query's autoflush, an explicit flush, a savepoint,
# the commit) writes the rows first, as it would have written objects. A savepoint that rolls back drops that
# object; the rows kept with it were all added inside the savepoint (starting one flushes), and are dropped too.

WrittenHook = Callable[[Session, list[tuple[sa.Table, dict[str, Any]]]], None]
_ADDED = "warroom_rows_by_statement"  # [(mapper, attribute values)], in the order added
_FIRST = "warroom_rows_by_statement_first"  # the state of the first one's object, in the session
_written_hooks: list[WrittenHook] = []


def add(db: Session, model: type[Any], /, **values: Any) -> None:
    """A new row of the mapped class ``model`` (its attribute values, as its constructor takes them), written by
    one INSERT with the others of its flush. Nothing of it comes back: no object, no id."""
    added: list[tuple[Any, dict[str, Any]]] | None = db.info.get(_ADDED)
    if added is None or not _still_new(db, db.info.get(_FIRST)):
        row = model(**values)
        db.add(row)
        db.info[_FIRST] = sa.inspect(row)
        db.info[_ADDED] = [(sa.inspect(model), values)]
        return
    added.append((sa.inspect(model), values))


def when_written(hook: WrittenHook) -> None:
    """``hook(session, [(table, column values)])`` runs after such rows are written (they are never objects the
    unit of work's ``after_flush`` could see in ``session.new``)."""
    _written_hooks.append(hook)


@event.listens_for(Session, "before_flush")
def _write_added(session: Session, _context: Any, _objects: Any) -> None:
    added: list[tuple[Any, dict[str, Any]]] | None = session.info.pop(_ADDED, None)
    first = session.info.pop(_FIRST, None)
    if not added or not _still_new(session, first):
        return  # none, or dropped with the savepoint they were added in
    session.expunge(first.obj())
    runs = _runs(added)
    connection = session.connection()
    for table, rows in runs:
        connection.execute(table.insert(), rows)
    for hook in _written_hooks:
        hook(session, [(table, row) for table, rows in runs for row in rows])


def _still_new(session: Session, state: Any) -> bool:
    return state is not None and bool(state.pending and state.session_id == session.hash_key)


@event.listens_for(Session, "after_transaction_end")
def _forget_added(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_ADDED, None)
        session.info.pop(_FIRST, None)


_COLUMNS: dict[Any, tuple[tuple[str, str], ...]] = {}


def _columns(mapper: Any) -> tuple[tuple[str, str], ...]:
    """A mapped class's (attribute, column) names, looked up once."""
    found = _COLUMNS.get(mapper)
    if found is None:
        found = _COLUMNS[mapper] = tuple((prop.key, prop.columns[0].key) for prop in mapper.column_attrs)
    return found


def _runs(added: list[tuple[Any, dict[str, Any]]]) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows as INSERT parameters: one run per table (in the order tables first appear) and set of columns
    given, each in the order its rows were added. Rows of different tables cannot depend on each other: none of
    them has an id to be referred to by."""
    runs: dict[tuple[sa.Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for mapper, given in added:
        values = {column: given[key] for key, column in _columns(mapper) if key in given}
        runs.setdefault((mapper.local_table, tuple(values)), []).append(values)
    return [(table, rows) for (table, _), rows in runs.items()]
