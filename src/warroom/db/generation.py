"""Answers kept across transactions until what they were read from changes: a generation token per kind of data.

Who is on call, an escalation policy's steps and a person's notification rules are read for every alert that
pages, yet change only when someone edits a schedule, a policy or their contact methods. Each such answer is kept
in this process under the generation token it was read at, and used again while the token is unchanged.

The token lives in the database, in ``generations``, one row per kind (``routing``). Database triggers on every
table the answers read set a new random token in the same transaction as the change (migration 0023), so no write
path can forget to: the ORM, a bulk statement, an import, another process, ``sqlite3`` by hand. A token is random,
never a counter, so a rolled-back change, a database restored from a backup or a copied template never brings an
old token back with other data behind it. ADR 0029 weighs the other ways.

Reading is consistent because the token is read before the data, in the same transaction: on SQLite both come
from one snapshot; on PostgreSQL (read committed) the data read after the token is never older than the token.
A transaction that itself changed such data reads its own new token on SQLite; on PostgreSQL the new token is
set at commit (the triggers are deferred, so writers never queue on the token row mid-transaction), and a
statement trigger marks the transaction, which then reads past the kept answers.

Each database (engine) has its own answers, and they are dropped whole when they grow past ``MAX_ANSWERS``.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.db.base import Base
from warroom.db.memo import held, memo

ROUTING = "routing"
MAX_ANSWERS = 4096
# Set for the rest of a PostgreSQL transaction by the statement triggers of migration 0023.
CHANGED_SETTING = "warroom.routing_changed"

T = TypeVar("T")


class Generation(Base):
    """The current token of one kind of data: a new random value whenever any of its rows changes."""

    __tablename__ = "generations"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64))


_TOKEN = sa.select(Generation.token).where(Generation.name == sa.bindparam("name"))
_TOKEN_PG = sa.select(Generation.token, sa.func.current_setting(CHANGED_SETTING, True)).where(
    Generation.name == sa.bindparam("name"))
_TOKENS = "generation tokens"  # this transaction's tokens, in its memo


class _Answers:
    """One database's kept answers, by (kind, token, key)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.found: dict[tuple[str, str, Hashable], Any] = {}


_answers: weakref.WeakKeyDictionary[sa.Engine, _Answers] = weakref.WeakKeyDictionary()
_answers_lock = threading.Lock()
# The mapped classes whose rows each kind of answer is read from: their pending changes are flushed before the
# token is read, so the triggers have seen them.
_watched: dict[str, tuple[type[Any], ...]] = {}


def watch(name: str, *classes: type[Any]) -> None:
    """Pending rows of ``classes`` are written before ``name``'s token is read (a package registers its own)."""
    _watched[name] = tuple(dict.fromkeys(_watched.get(name, ()) + classes))


def cached(db: Session, name: str, key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, or the answer it gave before at the current token of ``name``.

    ``read`` must return plain data that nobody changes afterwards (tuples, numbers, strings): the answer is
    shared by every session and thread of this process.
    """
    token = current_token(db, name)
    if token is None:
        return read()
    answers = _answers_of(db.get_bind())
    found = answers.found.get((name, token, key), _MISSING)
    if found is not _MISSING:
        answer: T = found
        return answer
    answer = read()
    if _read_token(db, name) != token:
        return answer  # this transaction changed the data since (by a statement the hooks below do not see)
    with answers.lock:
        if len(answers.found) >= MAX_ANSWERS:
            answers.found.clear()
        answers.found[(name, token, key)] = answer
    return answer


_MISSING = object()


def current_token(db: Session, name: str) -> str | None:
    """The token of ``name`` in this transaction; None where answers cannot be kept (no token row yet, or this
    transaction changed the data on PostgreSQL)."""
    tokens: dict[str, str | None] = memo(db, _TOKENS)
    if name in tokens:
        return tokens[name]
    _flush_watched(db, name)
    token = tokens[name] = _read_token(db, name)
    return token


def _read_token(db: Session, name: str) -> str | None:
    connection = db.connection()
    if connection.dialect.name == "postgresql":
        row = connection.execute(_TOKEN_PG, {"name": name}).first()
        return row[0] if row is not None and row[1] != "1" else None
    token: str | None = connection.execute(_TOKEN, {"name": name}).scalar()
    return token


def _flush_watched(db: Session, name: str) -> None:
    watched = _watched.get(name, ())
    if any(isinstance(row, watched) for row in (*db.new, *db.dirty, *db.deleted)):
        db.flush()


def _answers_of(engine: sa.Engine | sa.Connection) -> _Answers:
    key = engine.engine if isinstance(engine, sa.Connection) else engine
    answers = _answers.get(key)
    if answers is None:
        with _answers_lock:
            answers = _answers.setdefault(key, _Answers())
    return answers


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """A flush of watched rows in this transaction: read the token again before the next answer."""
    tokens = held(session, _TOKENS)
    if not tokens:
        return
    rows = (*session.new, *session.dirty, *session.deleted)
    for name in list(tokens):
        watched = _watched.get(name, ())
        if any(isinstance(row, watched) for row in rows):
            tokens.pop(name)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: Any) -> None:
    """An INSERT, UPDATE or DELETE statement through the session on a watched table: read the token again."""
    tokens = held(state.session, _TOKENS)
    if not tokens or not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    for name in list(tokens):
        if table is None or any(table is cls.__table__ for cls in _watched.get(name, ())):
            tokens.pop(name)

