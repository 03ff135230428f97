"""Counts what the domains do (alerts opened, notifications queued, sent or failed, the first page of an alert)
as their transactions commit, by watching the session flush: the domains stay unaware of metrics, and a
rolled-back transaction counts nothing."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from warroom.db import pending
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.observability import metrics
from warroom.oncall.alerts.models import Alert, AlertEvent

_PENDING = "warroom_metrics_pending"


@dataclass
class Pending:
    """What one transaction did, counted when it commits."""

    alerts_opened: int = 0
    notifications: Tally[tuple[str, str]] = field(default_factory=Tally)
    first_pages: list[float] = field(default_factory=list)


def _pending(session: Session) -> Pending:
    found = session.info.get(_PENDING)
    if not isinstance(found, Pending):
        found = session.info[_PENDING] = Pending()
    return found


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    _count_new(session, session.new)
    for row in session.dirty:
        if isinstance(row, Notification):
            _notification_changed(session, row)


def _count_new(session: Session, rows: Iterable[object]) -> None:
    for row in rows:
        if isinstance(row, AlertEvent) and row.kind == "created":
            _pending(session).alerts_opened += 1
        elif isinstance(row, Notification):
            _pending(session).notifications[(row.kind.value, DeliveryStatus.queued.value)] += 1


_ALERT_EVENTS, _NOTIFICATIONS = AlertEvent.__table__, Notification.__table__


def _count_written(session: Session, rows: list[tuple[sa.Table, dict[str, Any]]]) -> None:
    """The same count for rows written by one statement (``warroom.db.pending``): never in ``session.new``."""
    for table, values in rows:
        if table is _ALERT_EVENTS and values.get("kind") == "created":
            _pending(session).alerts_opened += 1
        elif table is _NOTIFICATIONS:
            _pending(session).notifications[(ContactKind(values["kind"]).value, DeliveryStatus.queued.value)] += 1


pending.when_written(_count_written)


def _notification_changed(session: Session, row: Notification) -> None:
    added = sa.inspect(row).attrs.status.history.added
    if added and added[0] in (DeliveryStatus.sent, DeliveryStatus.failed):
        _pending(session).notifications[(row.kind.value, DeliveryStatus(added[0]).value)] += 1


def page_sent(session: Session, *, kind: ContactKind, sent_at: datetime, first_of_alert_opened_at: datetime | None,
              ) -> None:
    """A notification was marked sent in this transaction by a statement (not a flushed row): count it, and
    when it is its alert's first notification sent (``first_of_alert_opened_at``: when that alert opened), the
    seconds from the alert opening to this page. The statement that marks it says both (``paged_before``)."""
    pending = _pending(session)
    pending.notifications[(kind.value, DeliveryStatus.sent.value)] += 1
    if first_of_alert_opened_at is not None:
        pending.first_pages.append(max((sent_at - first_of_alert_opened_at).total_seconds(), 0.0))


def paged_before(notification: sa.Table) -> tuple[sa.ScalarSelect[Any], sa.Exists]:
    """For a statement on ``notification``'s row (the RETURNING of the UPDATE that marks it sent): when its alert
    opened, and whether another notification of that alert was sent before. The row itself is left out, so the
    answer is the same whether or not the database shows the statement's own change to it."""
    other = Notification.__table__.alias("paged_before")
    # Named with the table: SQLite writes a RETURNING clause's own columns bare, and a bare name inside the
    # subqueries would be the subquery's table.
    alert_id = sa.literal_column(f"{notification.name}.alert_id", Notification.alert_id.type)
    row_id = sa.literal_column(f"{notification.name}.id", Notification.id.type)
    opened = sa.select(Alert.created_at).where(Alert.id == alert_id).scalar_subquery()
    before = sa.exists().where(other.c.alert_id == alert_id, other.c.id != row_id,
                               other.c.status == DeliveryStatus.sent)
    return opened, before


def paged_before_all_of(ids: sa.BindParameter[Any]) -> tuple[sa.ScalarSelect[Any], sa.Exists]:
    """``paged_before`` for a SELECT of several notifications (``ids``) about to be marked sent together: when
    each one's alert opened, and whether a notification of that alert other than these was sent before. Which of
    these themselves count is the caller's to say (the first of an alert among them, unless one was sent)."""
    other = Notification.__table__.alias("paged_before")
    opened = sa.select(Alert.created_at).where(Alert.id == Notification.alert_id).scalar_subquery()
    before = sa.exists().where(other.c.alert_id == Notification.alert_id, other.c.id.not_in(ids),
                               other.c.status == DeliveryStatus.sent)
    return opened, before


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    done = session.info.pop(_PENDING, None)
    if not isinstance(done, Pending):
        return
    if done.alerts_opened:
        metrics.alerts_opened.inc(done.alerts_opened)
    for (channel, outcome), count in done.notifications.items():
        metrics.notifications.labels(channel=channel, outcome=outcome).inc(count)
    for seconds in done.first_pages:
        metrics.first_page_seconds.observe(seconds)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
