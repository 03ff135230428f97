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


pending.when_written(_count_new)  # rows written by one statement skip the unit of work's after_flush


def _notification_changed(session: Session, row: Notification) -> None:
    added = sa.inspect(row).attrs.status.history.added
    if added and added[0] in (DeliveryStatus.sent, DeliveryStatus.failed):
        _pending(session).notifications[(row.kind.value, DeliveryStatus(added[0]).value)] += 1


def page_sent(session: Session, *, kind: ContactKind, alert_id: int | None, sent_at: datetime) -> None:
    """A notification was marked sent in this transaction by a statement (not a flushed row): count it, and
    the seconds from its alert opening when it is the alert's first notification sent."""
    pending = _pending(session)
    pending.notifications[(kind.value, DeliveryStatus.sent.value)] += 1
    if alert_id is None:
        return
    found = session.connection().execute(_FIRST_PAGE, {"alert_id": alert_id}).first()  # nothing to flush first
    if found is not None and found[1] == 1:
        pending.first_pages.append(max((sent_at - found[0]).total_seconds(), 0.0))


# The alert's opening time and how many of its notifications are sent (this one included): built once.
_FIRST_PAGE = sa.select(
    Alert.created_at,
    sa.select(sa.func.count()).select_from(Notification).where(
        Notification.alert_id == sa.bindparam("alert_id"), Notification.status == DeliveryStatus.sent,
    ).scalar_subquery(),
).where(Alert.id == sa.bindparam("alert_id"))


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
