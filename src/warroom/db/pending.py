"""Statements that need not flush the session first, when all it holds are new rows no statement reads back.

SQLAlchemy flushes the session before every statement it executes (ORM or Core). In a group-committed batch that
means one flush per piece of work, each with the unit of work's overhead, for rows (timeline events, audit entries,
request records) that the following statements never read. Run such a statement on ``db.connection()`` after
``flush_unless_appended``: it flushes only when the session holds something else (a changed or deleted row, or a
new row of another kind), so the statement always sees what it would have seen; otherwise the appended rows wait
and flush together at commit (one INSERT per table for the whole batch).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def flush_unless_appended(db: Session, appended: tuple[type[Any], ...]) -> None:
    """Flush now unless the session's pending changes are only new rows of the ``appended`` kinds."""
    if db.dirty or db.deleted or any(not isinstance(row, appended) for row in db.new):
        db.flush()
