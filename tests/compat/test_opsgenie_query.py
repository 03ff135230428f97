"""Opsgenie's alert search query: parsed into a tree, refused whole with a message naming what to fix; the tree's
SQL matches what the query says, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.api.compat.formats.opsgenie import query as q
from warroom.api.compat.formats.opsgenie.query import Both, Either, Not, QueryError, Term
from warroom.oncall.alerts.models import Alert


def test_terms_and_or_not_and_parentheses_keep_their_precedence():
    assert q.parse("") is None
    assert q.parse("  ") is None
    assert q.parse("status:open") == Term("status", ":", "open")
    assert q.parse("status = closed") == Term("status", ":", "closed")
    assert q.parse("tag: db AND priority: P1 OR NOT acknowledged: true") == Either((
        Both((Term("tags", ":", "db"), Term("priority", ":", "P1"))), Not(Term("acknowledged", ":", "true"))))
    assert q.parse("tag: db AND (priority: P1 OR priority: P2)") == Both((
        Term("tags", ":", "db"), Either((Term("priority", ":", "P1"), Term("priority", ":", "P2")))))
    assert q.parse("tags: (web OR prod AND eu)") == Either((
        Term("tags", ":", "web"), Both((Term("tags", ":", "prod"), Term("tags", ":", "eu")))))
    assert q.parse('alias: "host down: web-1"') == Term("alias", ":", "host down: web-1")
    assert q.parse("createdAt >= 1765000000000") == Term("createdAt", ">=", "1765000000000")
    assert q.parse('createdAt < "2026-12-07T10:00:00Z"') == Term("createdAt", "<", "2026-12-07T10:00:00Z")
    assert q.parse("OWNER: carol@example.com") == Term("owner", ":", "carol@example.com")


@pytest.mark.parametrize(("text", "says"), [
    ("message: down", "Warroom does not search alerts by 'message'; it searches by status, tag"),
    ("details.key: region", "does not search alerts by 'details.key'"),
    ("down", "Warroom does not search alerts by 'down'"),
    ("status open", "Expected ':' after 'status', found 'open' at character 8"),
    ("status: open AND", "Expected a field such as status, tag or priority, found the end of the query"),
    ("status: open status: closed", "Unexpected 'status' at character 14: join conditions with AND or OR"),
    ("(status: open", "Expected ')', found the end of the query"),
    ("status: open)", "Unexpected ')' at character 13"),
    ("status: pending", "status is open or closed, not 'pending'"),
    ("acknowledged: yes", "acknowledged is true or false, not 'yes'"),
    ("priority: P9", "priority is one of P1, P2, P3, P4, P5, not 'P9'"),
    ("priority > P2", "'priority' takes ':' only; <, <=, >, >= are for createdAt"),
    ("createdAt > yesterday", "createdAt is a time in Unix milliseconds"),
    ("tags: ()", "Expected a value for tags, found ')'"),
    ('alias: "open', "Unexpected '\"' at character 8"),
    ("status: open and tag: x", "Unexpected 'and'"),
    ("(" * 30 + "status: open" + ")" * 30, "nests more than 20 parentheses deep"),
    ("x" * 2001, "longer than 2000 characters"),
])
def test_what_it_does_not_understand_is_named(text, says):
    with pytest.raises(QueryError) as refused:
        q.parse(text)
    assert says in refused.value.message


def test_created_at_takes_milliseconds_or_iso_times():
    assert q.moment("1796637600000") == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert q.moment("2026-12-07T10:00:00Z") == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert q.moment("2026-12-07T11:00:00+01:00") == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert q.moment("2026-12-07") == datetime(2026, 12, 7, tzinfo=UTC)


# Property: any query built from the grammar parses to the tree it was built from ------------------------------

VALUES = st.sampled_from(["open", "closed"]).map(lambda v: Term("status", ":", v)) | \
    st.sampled_from(["P1", "P2", "P5"]).map(lambda v: Term("priority", ":", v)) | \
    st.text(st.characters(whitelist_categories=("L", "N"), whitelist_characters="-_.@"), min_size=1,
            max_size=8).filter(lambda v: v not in q.KEYWORDS).map(lambda v: Term("tags", ":", v)) | \
    st.integers(0, 10**13).map(lambda v: Term("createdAt", ">=", str(v)))


def trees(depth: int = 3) -> st.SearchStrategy[q.Node]:
    return st.recursive(VALUES, lambda inner: st.one_of(
        st.tuples(inner, inner).map(Both), st.tuples(inner, inner).map(Either), inner.map(Not)), max_leaves=8)


def written(node: q.Node) -> str:
    if isinstance(node, Term):
        return f'{"tag" if node.field == "tags" else node.field} {node.op} "{node.value}"'
    if isinstance(node, Not):
        return f"NOT ({written(node.part)})"
    joiner = " AND " if isinstance(node, Both) else " OR "
    return joiner.join(f"({written(part)})" for part in node.parts)


def flat(node: q.Node) -> q.Node:
    """Both/Either nested in their own kind are one, as the parser reads ``a AND b AND c``."""
    if isinstance(node, Not):
        return Not(flat(node.part))
    if isinstance(node, Term):
        return node
    return type(node)(tuple(flat(p) for p in node.parts))


@settings(max_examples=150, deadline=None)
@given(trees())
def test_any_query_written_from_a_tree_parses_back_to_it(tree):
    assert q.parse(written(tree)) == flat(tree)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_with_a_query_error(text):
    refused = ""
    try:
        q.parse(text)
    except QueryError as error:
        refused = error.message
        assert refused, text
    assert refused or q.parse(text) is None or isinstance(q.parse(text), (Term, Both, Either, Not))


# SQL ----------------------------------------------------------------------------------------------------------


def test_the_condition_selects_what_the_query_says(runtime, clock, factory):
    from warroom.oncall.alerts import service as alerts
    from warroom.oncall.alerts.models import Priority

    system = factory.system
    factory.user("carol", teams=("engineering",))  # owner and teams below name someone (NULL IN (…) is unknown)
    made = {}
    for alias, tags, priority in (("a", ["db", "prod"], Priority.p1), ("b", ["web"], Priority.p3),
                                  ("c", [], Priority.p2)):
        with runtime.database.writing() as db:
            made[alias] = alerts.raise_alert(db=db, actor=system, spec=alerts.AlertSpec(
                message=alias, alias=alias, tags=tags, priority=priority)).alert_id
        clock.advance(timedelta(minutes=1))
    with runtime.database.writing() as db:
        alerts.close(db=db, actor=system, alert_id=made["b"])

    def matching(text: str) -> list[str]:
        with runtime.database.reading() as db:
            where = q.condition(q.parse(text), q.Reader(db.get_bind().dialect.name, 0))
            return list(db.scalars(sa.select(Alert.alias).where(where).order_by(Alert.id)))

    assert matching("tag: db") == ["a"]
    assert matching("NOT tag: db") == ["b", "c"]
    assert matching("tags: (db OR web)") == ["a", "b"]
    assert matching("status: open AND priority: P2") == ["c"]
    assert matching("status: closed OR priority: P1") == ["a", "b"]
    assert matching("acknowledged: false AND NOT status: closed") == ["a", "c"]
    with runtime.database.reading() as db:
        second = db.scalar(sa.select(Alert.created_at).where(Alert.alias == "b"))
    millis = int(second.timestamp() * 1000)
    assert matching(f"createdAt > {millis}") == ["c"]
    assert matching(f"createdAt <= {millis}") == ["a", "b"]
    assert matching(f"createdAt: {millis}") == ["b"]
    assert matching("tag: \"d%\"") == []  # no LIKE wildcards: a tag matches whole
    # A term on an empty column is false, so NOT of it holds (SQL's unknown would drop every row).
    assert matching("NOT owner: carol") == ["a", "b", "c"]
    assert matching("NOT teams: engineering") == ["a", "b", "c"]
