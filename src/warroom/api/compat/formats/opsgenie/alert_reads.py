"""The Opsgenie Alert API's reads beside get: list and count (with the search query), notes, logs, recipients.

Alerts of a private security incident read as ``privacy`` says for a tool's key: redacted unless the key raised
them, in lists, in their notes and logs, and in what a query can match (their words match nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.notifications.models import DeliveryStatus, Notification
from warroom.oncall.alerts import privacy
from warroom.oncall.alerts.models import Alert, AlertEvent
from warroom.oncall.alerts.service import EventView
from warroom.oncall.keys.models import IntegrationKey

from . import alerts as og
from . import query as search
from .wire import authenticate, timestamp, unprocessable

MAX_LOG_PAGE = 100
# createdAt sorts by id: alerts are numbered as they are created, and the id's index reads the newest first
# without sorting every alert the query matches.
SORTS = {"createdAt": Alert.id, "updatedAt": Alert.updated_at, "lastOccurredAt": Alert.last_occurred_at,
         "tinyId": Alert.id, "count": Alert.count, "status": Alert.status, "priority": Alert.priority,
         "alias": Alert.alias, "message": Alert.message}
RECIPIENT_STATES = {DeliveryStatus.queued: "pending", DeliveryStatus.sent: "notified",
                    DeliveryStatus.failed: "failed", DeliveryStatus.cancelled: "cancelled"}
PAGING_EVENTS = ("escalated", "notified", "notify_failed", "unrouted", "escalation_finished")


# List and count ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    query: str = ""
    search_identifier: str | None = None
    sort: str = "createdAt"
    order: str = "desc"


def _where(db: Session, key: IntegrationKey, asked: Search) -> sa.ColumnElement[bool]:
    if asked.search_identifier:
        raise unprocessable({"searchIdentifier": "Warroom has no saved searches: send the search as query."})
    try:
        tree = search.parse(asked.query)
    except search.QueryError as error:
        raise unprocessable({"query": error.message}) from None
    where = search.condition(tree, search.Reader(db.get_bind().dialect.name, key.id))
    return sa.and_(where, Alert.team_id == key.team_id) if key.team_id is not None else where


def list_alerts(*, db: Session, header: str | None, asked: Search, limit: int, offset: int,
                now: datetime) -> list[dict[str, Any]]:
    key = authenticate(db, header, og.ALERT_KEYS)
    problems = {}
    if not 1 <= limit <= og.MAX_PAGE or offset < 0:
        problems["limit"] = f"limit is 1 to {og.MAX_PAGE}; offset is 0 or more."
    if asked.sort not in SORTS:
        problems["sort"] = f"sort is one of {', '.join(SORTS)}."
    if asked.order not in ("asc", "desc"):
        problems["order"] = "order is asc or desc."
    if problems:
        raise unprocessable(problems)
    column = SORTS[asked.sort]
    ordering = (column.asc(), Alert.id.asc()) if asked.order == "asc" else (column.desc(), Alert.id.desc())
    found = list(db.scalars(sa.select(Alert).where(_where(db, key, asked)).order_by(*ordering)
                            .limit(limit).offset(offset)))
    rows = privacy.shown(found, privacy.hidden_from_key(db, key.id, found))
    return [og.render(db, alert, now) for alert in rows]


def count_alerts(*, db: Session, header: str | None, asked: Search) -> dict[str, int]:
    key = authenticate(db, header, og.ALERT_KEYS)
    total = db.scalar(sa.select(sa.func.count(Alert.id)).where(_where(db, key, asked)))
    return {"count": int(total or 0)}


# Notes and logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paging:
    """Opsgenie's log paging: from an entry's ``offset``, the next (older, in desc order) or previous ones."""

    offset: str = ""
    direction: str = "next"
    limit: int = MAX_LOG_PAGE
    order: str = "desc"

    def check(self) -> None:
        problems = {}
        if self.direction not in ("next", "prev"):
            problems["direction"] = "direction is next or prev."
        if self.order not in ("asc", "desc"):
            problems["order"] = "order is asc or desc."
        if not 1 <= self.limit <= MAX_LOG_PAGE:
            problems["limit"] = f"limit is 1 to {MAX_LOG_PAGE}."
        if self.offset and not (self.offset.isascii() and self.offset.isdigit() and len(self.offset) <= 12):
            problems["offset"] = "offset is the offset of an entry of an earlier page."
        if problems:
            raise unprocessable(problems)


def notes(*, db: Session, header: str | None, identifier: str, kind: str, paging: Paging,
          base: str) -> dict[str, Any]:
    return _log(db, header, identifier, kind, paging, base, notes_only=True)


def logs(*, db: Session, header: str | None, identifier: str, kind: str, paging: Paging,
         base: str) -> dict[str, Any]:
    return _log(db, header, identifier, kind, paging, base, notes_only=False)


def _log(db: Session, header: str | None, identifier: str, kind: str, paging: Paging, base: str, *,
         notes_only: bool) -> dict[str, Any]:
    paging.check()
    key = authenticate(db, header, og.ALERT_KEYS)
    alert = og.find(db, key, identifier, kind)
    rows, more = _events(db, alert.id, paging, notes_only)
    if privacy.hidden_from_key(db, key.id, [alert]):
        rows = privacy.redacted_events(rows)
    emails = _emails(db, rows)
    word = "note" if notes_only else "log"
    data = [{word: e.body, **({} if notes_only else {"type": _log_type(e.kind)}),
             "owner": emails.get(e.actor_handle or "", "System"), "createdAt": timestamp(e.created_at),
             "offset": str(e.id)} for e in rows]
    here = f"{base.rstrip('/')}/v2/alerts/{alert.id}/{word}s?"
    first = {"identifierType": "id", "limit": paging.limit, "order": paging.order}
    links: dict[str, str] = {"first": here + urlencode(first)}
    if more and data:
        links["next"] = here + urlencode({**first, "offset": data[-1]["offset"], "direction": paging.direction})
    return {"data": data, "paging": links}


def _events(db: Session, alert_id: int, paging: Paging, notes_only: bool) -> tuple[list[EventView], bool]:
    """One page of the alert's timeline from the offset, in the asked order, and whether more follow."""
    newest_first = (paging.order == "desc") == (paging.direction == "next")
    query = (sa.select(AlertEvent, User.handle).outerjoin(User, User.id == AlertEvent.actor_id)
             .where(AlertEvent.alert_id == alert_id))
    if notes_only:
        query = query.where(AlertEvent.kind == "note")
    if paging.offset:
        after = int(paging.offset)
        query = query.where(AlertEvent.id < after if newest_first else AlertEvent.id > after)
    query = query.order_by(AlertEvent.id.desc() if newest_first else AlertEvent.id.asc()).limit(paging.limit + 1)
    found = [EventView(e.id, e.kind, e.body, e.data, e.created_at, h) for e, h in db.execute(query)]
    page = found[:paging.limit]
    if paging.direction == "prev":
        page.reverse()
    return page, len(found) > paging.limit


def _emails(db: Session, rows: list[EventView]) -> dict[str, str]:
    handles = {e.actor_handle for e in rows if e.actor_handle}
    if not handles:
        return {}
    query = sa.select(User.handle, User.email).where(User.handle.in_(handles))
    return {str(handle): str(email) for handle, email in db.execute(query).tuples()}


def _log_type(kind: str) -> str:
    if kind == "note":
        return "note"
    return "alertRecipient" if kind in PAGING_EVENTS else "system"


# Recipients -------------------------------------------------------------------------------------------


def recipients(*, db: Session, header: str | None, identifier: str, kind: str) -> list[dict[str, Any]]:
    """Everyone the alert paged, one entry per person and contact method, with what became of the page."""
    key = authenticate(db, header, og.ALERT_KEYS)
    alert = og.find(db, key, identifier, kind)
    query = (sa.select(Notification, User.email).join(User, User.id == Notification.user_id)
             .where(Notification.alert_id == alert.id).order_by(Notification.id))
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for sent, email in db.execute(query):
        entry = {"user": {"id": str(sent.user_id), "username": email}, "state": RECIPIENT_STATES[sent.status],
                 "method": sent.kind.value, "createdAt": timestamp(sent.created_at),
                 "updatedAt": timestamp(sent.sent_at or sent.created_at)}
        found[(sent.user_id, sent.kind.value)] = entry  # the latest page of each person on each method
    return list(found.values())

