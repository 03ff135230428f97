"""Turn a page into notifications: one per notification rule, each due after its delay."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.db import generation, pending
from warroom.db.memo import memo
from warroom.engine import queue
from warroom.notifications.models import ContactKind, ContactMethod, DeliveryStatus, Notification, NotificationRule

NOTIFY_JOB = "notify"
BY_PHONE = (ContactKind.sms, ContactKind.voice)


class Priority(Protocol):
    @property
    def value(self) -> str: ...


class PagedAlert(Protocol):
    """What a page needs of its alert (an alert row, typed here without importing the alerts domain)."""

    @property
    def id(self) -> int: ...
    @property
    def incident_id(self) -> int | None: ...
    @property
    def message(self) -> str: ...
    @property
    def priority(self) -> Priority: ...


generation.watch(generation.ROUTING, User, ContactMethod, NotificationRule)

REPLY_CODE_WINDOW = timedelta(days=7)  # a code is not given to the same person twice within this long
REPLY_CODE_TRIES = 8


def new_reply_code(db: Session, user_id: int, now: datetime) -> str:
    """The short code a page by SMS or voice is answered with: four digits, shared by one page's texts and calls
    to one person (a reply from their number with this code acts on this alert). Not one of the codes of their
    pages of the last week, while there is one free in a few draws (one indexed look-up each)."""
    code = ""
    for _ in range(REPLY_CODE_TRIES):
        code = str(1000 + secrets.randbelow(9000))
        taken = db.scalar(sa.select(Notification.id).where(
            Notification.reply_code == code, Notification.user_id == user_id,
            Notification.created_at > now - REPLY_CODE_WINDOW).limit(1))
        if taken is None:
            return code
    return code  # the person was paged by phone thousands of times this week: the newest page takes the reply


def rules_of(db: Session, user_id: int) -> list[tuple[NotificationRule, ContactMethod]]:
    """A person's rules with their contact methods (read once per transaction)."""
    known = memo(db, "notification_rules")
    if user_id not in known:
        known[user_id] = _rules_of(db, user_id)
    rules: list[tuple[NotificationRule, ContactMethod]] = known[user_id]
    return rules


def _rules_of(db: Session, user_id: int) -> list[tuple[NotificationRule, ContactMethod]]:
    query = (sa.select(NotificationRule, ContactMethod)
             .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
             .where(NotificationRule.user_id == user_id)
             .order_by(NotificationRule.delay_minutes, NotificationRule.id))
    return [(r, c) for r, c in db.execute(query)]


class PageRule(NamedTuple):
    """One of a person's notification rules, as a page is planned from it."""

    delay_minutes: int
    contact_method_id: int
    kind: ContactKind


def page_rules(db: Session, user_id: int) -> tuple[PageRule, ...]:
    """A person's rules in the order they fire, kept until a rule or contact method changes (``generation``)."""
    return generation.cached(db, generation.ROUTING, ("rules", user_id), lambda: tuple(
        PageRule(rule.delay_minutes, method.id, method.kind) for rule, method in rules_of(db, user_id)))


def plan_notifications(*, db: Session, alert: PagedAlert, user_id: int, now: datetime, key: str,
                       ) -> None:
    """Queue this person's notifications for the alert. Without rules: an email to their address, now.

    Each is written with its flush's other new rows by one INSERT (``warroom.db.pending``): a notification is
    known by its idempotency key, which its job carries."""
    subject = f"[{alert.priority.value}] #{alert.id} {alert.message}"
    targets: list[tuple[int, int | None, ContactKind]] = (
        [(rule.delay_minutes, rule.contact_method_id, rule.kind) for rule in page_rules(db, user_id)]
        or [(0, None, ContactKind.email)]
    )
    code = new_reply_code(db, user_id, now) if any(kind in BY_PHONE for _, _, kind in targets) else None
    for index, (delay, method_id, kind) in enumerate(targets):
        idempotency_key, due_at = f"ntf-{key}-{index}", now + timedelta(minutes=delay)
        pending.add(db, Notification, alert_id=alert.id, incident_id=alert.incident_id, user_id=user_id,
                    contact_method_id=method_id, kind=kind, subject=subject[:300], status=DeliveryStatus.queued,
                    idempotency_key=idempotency_key, created_at=now, due_at=due_at,
                    reply_code=code if kind in BY_PHONE else None)
        # Named by its idempotency key, so nothing needs flushing to learn the row's id first.
        queue.enqueue(db=db, kind=NOTIFY_JOB, payload={"notification_key": idempotency_key},
                      idempotency_key=f"notify-{idempotency_key}", due_at=due_at)
