"""Answers memoised for one transaction: what a batch of work reads again and again (a key, a plan, a rule).

Dropped when the transaction ends (commit or rollback), so nothing outlives the snapshot it was read in; a
savepoint rolled back drops them too (they may hold what it read), one released does not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_MEMO = "warroom_transaction_memo"


def memo(db: Session, name: str) -> dict[Any, Any]:
    """The memo called ``name`` for the session's current transaction."""
    memos: dict[str, dict[Any, Any]] = db.info.setdefault(_MEMO, {})
    return memos.setdefault(name, {})


def held(db: Session, name: str) -> dict[Any, Any] | None:
    """The memo called ``name`` if this transaction has started it, without starting it."""
    found: dict[Any, Any] | None = db.info.get(_MEMO, {}).get(name)
    return found


def forget(db: Session, name: str) -> None:
    """Drop a memo now (after a change to what it holds, within the same transaction)."""
    db.info.get(_MEMO, {}).pop(name, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint released keeps the transaction and its snapshot
        session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_MEMO, None)
