"""Opsgenie's alert search query, for the fields Warroom has, as a SQL condition on alerts.

``status: open AND (tag: db OR priority: P1) AND NOT acknowledged: true AND createdAt >= 1765000000000``

- fields: ``status`` (open, closed), ``tag``/``tags``, ``priority`` (P1-P5), ``acknowledged`` (true, false),
  ``alias``, ``owner`` (email or handle), ``teams`` (name or slug: the alert's team or a team it pages),
  ``createdAt`` (Unix milliseconds, or a quoted ISO 8601 time);
- ``field: value`` matches exactly; ``createdAt`` also takes ``<``, ``<=``, ``>``, ``>=``;
- ``AND``, ``OR``, ``NOT`` and parentheses, ``field: (a OR b)`` for several values; ``"quoted values"``.

Anything else is refused whole, naming what was not understood (``QueryError``), before any query runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from warroom.accounts.models import Team, User
from warroom.incidents.models import Incident
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority

FIELDS = ("status", "tag", "tags", "priority", "acknowledged", "alias", "owner", "teams", "createdAt")
COMPARISONS = ("<", "<=", ">", ">=")
KEYWORDS = ("AND", "OR", "NOT")
MAX_QUERY = 2_000
MAX_DEPTH = 20
TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<op><=|>=|<|>|:|=)|"(?P<quoted>(?:[^"\\]|\\.)*)"'
                   r'|(?P<word>[^\s()"<>=:]+)|(?P<bad>\S))')


class QueryError(Exception):
    """What in the query Warroom did not understand, in words that say what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str


@dataclass(frozen=True)
class Both:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Either:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    part: Node


Node = Term | Both | Either | Not


@dataclass(frozen=True)
class Token:
    kind: str  # open, close, op, value, keyword
    text: str
    at: int


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:  # only blanks are left
            break
        position = match.end()
        kind = match.lastgroup or "bad"
        if kind == "bad":
            raise QueryError(f"Unexpected '{match.group('bad')}' at character {match.start('bad') + 1}.")
        at = match.start(kind)
        if kind == "quoted":
            found.append(Token("value", re.sub(r"\\(.)", r"\1", match.group("quoted")), at - 1))
        elif kind == "word" and match.group("word") in KEYWORDS:
            found.append(Token("keyword", match.group("word"), at))
        elif kind == "word":
            found.append(Token("value", match.group("word"), at))
        else:
            found.append(Token(kind, match.group(kind), at))
    return found


def parse(text: str) -> Node | None:
    """The query as a tree; ``None`` for an empty query (every alert)."""
    if len(text) > MAX_QUERY:
        raise QueryError(f"The query is longer than {MAX_QUERY} characters.")
    found = tokens(text)
    if not found:
        return None
    parser = _Parser(found)
    node = parser.either(0)
    if parser.position < len(found):
        extra = found[parser.position]
        raise QueryError(f"Unexpected '{extra.text}' at character {extra.at + 1}: join conditions with AND or OR.")
    return node


class _Parser:
    def __init__(self, found: list[Token]) -> None:
        self.found = found
        self.position = 0

    def peek(self) -> Token | None:
        return self.found[self.position] if self.position < len(self.found) else None

    def take(self, kind: str, text: str | None = None) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == kind and (text is None or token.text == text):
            self.position += 1
            return token
        return None

    def expect(self, kind: str, what: str) -> Token:
        token = self.take(kind)
        if token is None:
            here = self.peek()
            where = f"'{here.text}' at character {here.at + 1}" if here else "the end of the query"
            raise QueryError(f"Expected {what}, found {where}.")
        return token

    def either(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise QueryError(f"The query nests more than {MAX_DEPTH} parentheses deep.")
        parts = [self.both(depth)]
        while self.take("keyword", "OR"):
            parts.append(self.both(depth))
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def both(self, depth: int) -> Node:
        parts = [self.negated(depth)]
        while self.take("keyword", "AND"):
            parts.append(self.negated(depth))
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def negated(self, depth: int) -> Node:
        if self.take("keyword", "NOT"):
            return Not(self.negated(depth + 1))
        if self.take("open"):
            node = self.either(depth + 1)
            self.expect("close", "')'")
            return node
        return self.term()

    def term(self) -> Node:
        name = self.expect("value", "a field such as status, tag or priority")
        field = _field(name.text)
        op = self.expect("op", f"':' after '{name.text}'")
        comparison = "" if op.text in (":", "=") else op.text
        if comparison and field != "createdAt":
            raise QueryError(f"'{name.text}' takes ':' only; {', '.join(COMPARISONS)} are for createdAt.")
        if self.take("open"):
            node = self.values(field, comparison)
            self.expect("close", "')' after the values")
            return node
        return _term(field, comparison, self.expect("value", f"a value after '{name.text}{op.text}'").text)

    def values(self, field: str, comparison: str) -> Node:
        """``field: (a OR b AND c)``: values joined as conditions are."""
        ors = [self._values_and(field, comparison)]
        while self.take("keyword", "OR"):
            ors.append(self._values_and(field, comparison))
        return ors[0] if len(ors) == 1 else Either(tuple(ors))

    def _values_and(self, field: str, comparison: str) -> Node:
        ands = [_term(field, comparison, self.expect("value", f"a value for {field}").text)]
        while self.take("keyword", "AND"):
            ands.append(_term(field, comparison, self.expect("value", f"a value for {field}").text))
        return ands[0] if len(ands) == 1 else Both(tuple(ands))


def _field(name: str) -> str:
    for known in FIELDS:
        if known.lower() == name.lower():
            return "tags" if known == "tag" else known
    raise QueryError(f"Warroom does not search alerts by '{name}'; it searches by {', '.join(FIELDS)}.")


def _term(field: str, comparison: str, value: str) -> Term:
    word = value.strip()
    if field == "status" and word.lower() not in ("open", "closed"):
        raise QueryError(f"status is open or closed, not '{value}'.")
    if field == "acknowledged" and word.lower() not in ("true", "false"):
        raise QueryError(f"acknowledged is true or false, not '{value}'.")
    if field == "priority" and word.upper() not in tuple(p.value for p in Priority):
        raise QueryError(f"priority is one of P1, P2, P3, P4, P5, not '{value}'.")
    if field == "createdAt":
        moment(value)
    return Term(field, comparison or ":", word)


def moment(value: str) -> datetime:
    """A createdAt value: Unix milliseconds, or an ISO 8601 time (UTC unless it says otherwise)."""
    text = value.strip()
    if re.fullmatch(r"\d{1,15}", text):
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"createdAt is a time in Unix milliseconds (1765000000000) or ISO 8601 "
                         f"(\"2026-12-07T10:00:00Z\"), not '{value}'.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# To SQL ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Who asks (a key: its alerts' words stay hidden from other keys when private) and the database's dialect."""

    dialect: str
    key_id: int


def condition(node: Node | None, reader: Reader) -> sa.ColumnElement[bool]:
    if node is None:
        return sa.true()
    if isinstance(node, Both):
        return sa.and_(*(condition(p, reader) for p in node.parts))
    if isinstance(node, Either):
        return sa.or_(*(condition(p, reader) for p in node.parts))
    if isinstance(node, Not):
        return sa.not_(condition(node.part, reader))
    # Every matcher is false, never SQL's unknown, on an empty column (no owner, no team): NOT of it holds.
    return _MATCHERS[node.field](node, reader)


def _status(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    if term.value.lower() == "closed":
        return Alert.status == AlertStatus.closed
    return Alert.status != AlertStatus.closed


def _acknowledged(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    return Alert.acknowledged_at.is_not(None) if term.value.lower() == "true" else Alert.acknowledged_at.is_(None)


def _priority(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    return Alert.priority == Priority(term.value.upper())


def _words_shown(reader: Reader) -> sa.ColumnElement[bool]:
    """The alert's words (alias, tags) are the key's to search: not an alert of a private incident raised by
    another key (privacy.hidden_from_key), whose words it reads as empty."""
    private = sa.select(Incident.id).where(Incident.security.is_(True))
    return sa.or_(Alert.incident_id.is_(None), _is(Alert.integration_key_id, reader.key_id),
                  sa.and_(Alert.incident_id.is_not(None), Alert.incident_id.not_in(private)))


def _is(column: Any, value: int) -> sa.ColumnElement[bool]:
    """``column = value``, false (not unknown) where the column is empty."""
    return sa.and_(column.is_not(None), column == value)


def _among(column: Any, found: sa.Select[Any]) -> sa.ColumnElement[bool]:
    """``column IN (…)``, false (not unknown) where the column is empty."""
    return sa.and_(column.is_not(None), column.in_(found))


def _alias(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    return sa.and_(Alert.alias == term.value, _words_shown(reader))


def _tags(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    tags = "json_array_elements_text" if reader.dialect == "postgresql" else "json_each"
    each = getattr(sa.func, tags)(Alert.tags).table_valued("value")
    held = sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == term.value))
    return sa.and_(held, _words_shown(reader))


def _users_named(value: str) -> sa.Select[Any]:
    wanted = value.lstrip("@").lower()
    return sa.select(User.id).where(sa.or_(sa.func.lower(User.email) == wanted, sa.func.lower(User.handle) == wanted))


def _owner(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    named = _users_named(term.value)
    return sa.or_(_among(Alert.owner_id, named), sa.and_(Alert.owner_id.is_(None), Alert.acknowledged_at.is_not(None),
                                                         _among(Alert.acknowledged_by_id, named)))


def _teams(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    wanted = term.value.lower()
    named = sa.select(Team.id).where(sa.or_(sa.func.lower(Team.slug) == wanted, sa.func.lower(Team.name) == wanted))
    if reader.dialect == "postgresql":
        each = sa.func.json_array_elements(Alert.responders).table_valued("value")
        kind: sa.ColumnElement[Any] = each.c.value.op("->>")("type")
        ident: sa.ColumnElement[Any] = each.c.value.op("->>")("id")
    else:
        each = sa.func.json_each(Alert.responders).table_valued("value")
        kind, ident = sa.func.json_extract(each.c.value, "$.type"), sa.func.json_extract(each.c.value, "$.id")
    paged = sa.exists(sa.select(sa.literal(1)).select_from(each).where(
        kind == "team", sa.cast(ident, sa.Integer).in_(named)))
    return sa.or_(_among(Alert.team_id, named), paged)


def _created_at(term: Term, reader: Reader) -> sa.ColumnElement[bool]:
    at = moment(term.value)
    column = Alert.created_at
    if term.op == ":":  # the same millisecond
        start = at.replace(microsecond=at.microsecond // 1000 * 1000)
        return sa.and_(column >= start, column < start + timedelta(milliseconds=1))
    compare: dict[str, Callable[[], sa.ColumnElement[bool]]] = {
        "<": lambda: column < at, "<=": lambda: column <= at, ">": lambda: column > at, ">=": lambda: column >= at}
    return compare[term.op]()


_MATCHERS: dict[str, Callable[[Term, Reader], sa.ColumnElement[bool]]] = {
    "status": _status, "acknowledged": _acknowledged, "priority": _priority, "alias": _alias, "tags": _tags,
    "owner": _owner, "teams": _teams, "createdAt": _created_at,
}
