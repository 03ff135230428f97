"""The engine's notify handler: send one queued Notification, then record that it went out.

The send happens outside any write transaction and is recorded afterwards, so a crash in between sends
again when the job's lease lapses (at least once); the receiver dedups on the idempotency id. A
notification that is no longer queued is left alone, which makes those re-runs safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.db.engine import Database
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder, TransactionalHandler
from warroom.incidents.models import Incident
from warroom.notifications import phone
from warroom.notifications.models import ContactKind, ContactMethod, DeliveryStatus, Notification
from warroom.notifications.senders import OutgoingNotification, Receipt, SenderRegistry
from warroom.observability import events
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority

CHANNEL = {ContactKind.email: "email", ContactKind.webhook: "webhook", ContactKind.chat: "chat DM",
           ContactKind.sms: "SMS", ContactKind.voice: "voice call"}
MAX_DESCRIPTION_IN_MESSAGE = 1000


@dataclass(frozen=True)
class QueuedNotification:
    """What a send reads of its notification row."""

    id: int
    kind: ContactKind
    status: DeliveryStatus
    subject: str
    body: str | None
    idempotency_key: str
    reply_code: str | None
    alert_id: int | None
    created_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Recipient:
    """What a send reads of the person paged."""

    handle: str
    name: str
    email: str
    is_active: bool


@dataclass(frozen=True)
class PagedAlert:
    """What a send reads of the alert it pages for."""

    id: int
    message: str
    priority: Priority
    source: str
    description: str
    status: AlertStatus
    snoozed_until: datetime | None


@dataclass(frozen=True)
class Page:
    """What one queued notification needs, read in one statement before the send (plain values: nothing to load
    later, nothing tied to the session)."""

    notification: QueuedNotification
    user: Recipient
    address: str | None
    alert: PagedAlert | None
    incident_ref: str | None

    @property
    def is_delayed(self) -> bool:
        """A rule with a delay ("SMS after 5 minutes"): only worth sending while nobody has responded."""
        return self.notification.due_at > self.notification.created_at

    def still_wanted(self, now: datetime) -> bool:
        if not self.user.is_active:
            return False
        if not self.is_delayed or self.alert is None:
            return True
        snoozed = self.alert.snoozed_until is not None and self.alert.snoozed_until > now
        return self.alert.status is AlertStatus.open and not snoozed


def alert_url(base_url: str, alert_id: int) -> str:
    return f"{base_url.rstrip('/')}/alerts/{alert_id}"


def ack_url(base_url: str, alert_id: int) -> str:
    return f"{alert_url(base_url, alert_id)}/acknowledge"


# A notification with its person, contact method, alert and incident number: one statement per page, built once,
# of columns rather than whole rows (the engine reads one per page it sends).
_NOTIFICATION = (Notification.id, Notification.kind, Notification.status, Notification.subject, Notification.body,
                 Notification.idempotency_key, Notification.reply_code, Notification.alert_id,
                 Notification.created_at, Notification.due_at)
_RECIPIENT = (User.handle, User.name, User.email, User.is_active)
_ALERT = (Alert.id, Alert.message, Alert.priority, Alert.source, Alert.description, Alert.status,
          Alert.snoozed_until)
_PAGE = (sa.select(*_NOTIFICATION, *_RECIPIENT, ContactMethod.address, *_ALERT, Incident.id)
         .join(User, User.id == Notification.user_id)
         .outerjoin(ContactMethod, ContactMethod.id == Notification.contact_method_id)
         .outerjoin(Alert, Alert.id == Notification.alert_id)
         .outerjoin(Incident, Incident.id == Notification.incident_id))
_PAGE_BY_KEY = _PAGE.where(Notification.idempotency_key == sa.bindparam("key"))
_PAGE_BY_ID = _PAGE.where(Notification.id == sa.bindparam("notification_id"))
_PAGES_BY_KEYS = _PAGE.where(Notification.idempotency_key.in_(sa.bindparam("keys", expanding=True)))
_ADDRESS = len(_NOTIFICATION) + len(_RECIPIENT)


def load_page(db: Session, payload: dict[str, Any]) -> Page | None:
    """What a notify job's page needs (by its notification's idempotency key, or in older jobs its id)."""
    connection = db.connection()  # a read: nothing of the session's to flush first
    if "notification_key" in payload:
        found = connection.execute(_PAGE_BY_KEY, {"key": str(payload["notification_key"])}).first()
    else:
        found = connection.execute(_PAGE_BY_ID, {"notification_id": int(payload["notification_id"])}).first()
    return _page_of(found) if found is not None else None


def _page_of(found: Any) -> Page:
    """One row of the columns above, taken apart by position."""
    notification = QueuedNotification(*found[:len(_NOTIFICATION)])
    user = Recipient(*found[len(_NOTIFICATION):_ADDRESS])
    address: str | None = found[_ADDRESS]
    alert = PagedAlert(*found[_ADDRESS + 1:_ADDRESS + 1 + len(_ALERT)]) if found[_ADDRESS + 1] is not None else None
    incident_id = found[-1]
    if address is None and notification.kind is ContactKind.email:
        address = user.email  # no rules: the page goes to the address the person signed up with
    return Page(notification, user, address, alert, Incident.ref_of(incident_id) if incident_id else None)


class NotRead:
    """No page read ahead for the job (or it was read too long ago): the send reads its own."""


NOT_READ = NotRead()


@dataclass
class PagesReadAhead:
    """The pages of the notify jobs one engine claim took, read in the claiming transaction by one statement
    instead of one statement (and a read transaction) per send. A send takes its page only if it was read at most
    ``fresh`` ago, so what it acts on (still queued? acknowledged meanwhile?) is never older than that; a send
    that starts later, or a job from an older release (named by id), reads its own as before."""

    clock: Clock
    fresh: timedelta = timedelta(seconds=1)
    _pages: dict[str, Page | None] = field(default_factory=dict)
    _read_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, db: Session, jobs: list[Job]) -> None:
        """The engine's preparer for NOTIFY_JOB: runs in the claiming transaction, before the sends."""
        keys = [str(job.payload["notification_key"]) for job in jobs if "notification_key" in job.payload]
        found = {}
        if keys:
            rows = db.connection().execute(_PAGES_BY_KEYS, {"keys": keys}).all()
            found = {page.notification.idempotency_key: page for page in map(_page_of, rows)}
        with self._lock:
            self._pages = {key: found.get(key) for key in keys}
            self._read_at = self.clock.now()

    def take(self, payload: dict[str, Any]) -> Page | NotRead | None:
        """The job's page as read ahead (None: its notification is gone), or NOT_READ."""
        key = str(payload.get("notification_key", ""))
        with self._lock:
            if key not in self._pages or self._read_at is None or self.clock.now() - self._read_at > self.fresh:
                return NOT_READ
            return self._pages.pop(key)


def compose(page: Page, base_url: str) -> OutgoingNotification:
    """The message every channel draws on: the alert, its link and the acknowledge link."""
    notification, user, alert = page.notification, page.user, page.alert
    base = base_url.rstrip("/")
    if alert is None and notification.body:
        return _compose_message(page, f"{base}/followups/overdue")
    if alert is not None:
        link, ack = alert_url(base, alert.id), ack_url(base, alert.id)
    else:
        link = ack = f"{base}/incidents/{page.incident_ref}" if page.incident_ref else base
    lines = [notification.subject, ""]
    if alert is not None:
        lines += [f"Alert #{alert.id}: {alert.message}", f"Priority: {alert.priority.value}"]
        if alert.source:
            lines.append(f"Source: {alert.source}")
    lines.append(f"Paged: @{user.handle} ({user.name})")
    if page.incident_ref:
        lines.append(f"Incident: {page.incident_ref}")
    if alert is not None and alert.description.strip():
        description = alert.description.strip()
        if len(description) > MAX_DESCRIPTION_IN_MESSAGE:
            description = description[: MAX_DESCRIPTION_IN_MESSAGE - 1] + "…"
        lines += ["", description]
    lines += ["", f"Open the alert: {link}", f"Acknowledge:    {ack}", "",
              "-- ", "Warroom paged you. Change how you are reached under your profile's contact methods."]
    return OutgoingNotification(
        idempotency_id=notification.idempotency_key, kind=notification.kind, address=page.address or "",
        user_handle=user.handle, user_name=user.name, subject=notification.subject, text="\n".join(lines),
        alert_id=alert.id if alert else None, alert_message=alert.message if alert else notification.subject,
        alert_priority=alert.priority.value if alert else "", alert_url=link, ack_url=ack,
        incident_ref=page.incident_ref, **phone.page_links(notification, base),
    )


def _compose_message(page: Page, link: str) -> OutgoingNotification:
    """A notification that is not a page (a follow-up reminder): its own text, and a link instead of an ack."""
    notification, user = page.notification, page.user
    text = "\n".join([notification.body or "", "", "-- ",
                      "Warroom sent you this. Change how you are reached under your profile's contact methods."])
    return OutgoingNotification(
        idempotency_id=notification.idempotency_key, kind=notification.kind, address=page.address or "",
        user_handle=user.handle, user_name=user.name, subject=notification.subject, text=text, alert_id=None,
        alert_message=notification.subject, alert_priority="", alert_url=link, ack_url=link,
        incident_ref=page.incident_ref,
    )


def make_notify_handler(database: Database, senders: SenderRegistry, clock: Clock, base_url: str,
                        read_ahead: PagesReadAhead | None = None) -> Handler:
    """The engine handler for NOTIFY_JOB (taking the pages ``read_ahead`` read for it, when fresh)."""

    def deliver_notification(db: Session, job: Job) -> Recorder | None:
        page = read_ahead.take(job.payload) if read_ahead is not None else NOT_READ
        if isinstance(page, NotRead):
            page = load_page(db, job.payload)
            db.rollback()  # let go of the read snapshot before a send that may take seconds
        if page is None or page.notification.status in (DeliveryStatus.sent, DeliveryStatus.cancelled):
            return None  # done already: a re-run after a crash does nothing
        notification_id = page.notification.id
        if page.notification.status is DeliveryStatus.failed:
            # Failed notifications' jobs are dead; one runs again only when an admin retries it.
            with database.writing() as write:
                requeue(write, notification_id)
        if not page.still_wanted(clock.now()):
            with database.writing() as write:
                cancel(write, notification_id, "alert acknowledged, closed or snoozed before this rule's delay"
                       if page.user.is_active else f"@{page.user.handle} is deactivated")
            return None
        try:
            if not page.address:
                raise DeliveryError(f"@{page.user.handle}'s {CHANNEL[page.notification.kind]} contact method "
                                    "was removed", permanent=True)
            receipt = senders.sender_for(page.notification.kind).send(compose(page, base_url))
        except DeliveryError as error:
            with database.writing() as write:
                # The delivery record is seen by responders: the public reason; the job keeps the detail.
                record_failure(write, notification_id, attempts=job.attempts, error=error.public)
            raise

        # Written with the job's completion, in the engine's batch transaction (with the batch's other pages).
        return SentPage(notification_id, job.attempts, receipt, page.user.handle, clock)

    return deliver_notification


def notification_of(db: Session, payload: dict[str, Any]) -> Notification | None:
    """The notification a notify job is for: by its idempotency key (or, in older jobs, its id)."""
    if "notification_key" in payload:
        return db.scalar(sa.select(Notification).where(
            Notification.idempotency_key == str(payload["notification_key"])))
    return db.get(Notification, int(payload["notification_id"]))


def _lock(db: Session, notification_id: int) -> Notification | None:
    return db.scalar(sa.select(Notification).where(Notification.id == notification_id).with_for_update()
                     .execution_options(populate_existing=True))


def cancel(db: Session, notification_id: int, reason: str) -> None:
    db.execute(sa.update(Notification).where(
        Notification.id == notification_id, Notification.status == DeliveryStatus.queued,
    ).values(status=DeliveryStatus.cancelled, last_error=reason))


def requeue(db: Session, notification_id: int) -> None:
    db.execute(sa.update(Notification).where(
        Notification.id == notification_id, Notification.status == DeliveryStatus.failed,
    ).values(status=DeliveryStatus.queued))


def record_failure(db: Session, notification_id: int, *, attempts: int, error: str) -> None:
    notification = _lock(db, notification_id)
    if notification is None or notification.status is not DeliveryStatus.queued:
        return
    notification.attempts = max(notification.attempts + 1, attempts)
    notification.last_error = error[:2000]


# Marks a notification sent unless it is already (another engine recorded the same send). Built once: the
# engine records every page it sends with it. Even a notification cancelled meanwhile (acknowledged mid-send)
# did go out: it is recorded sent, the truth.
_MARK_EACH_SENT = (
    sa.update(Notification)
    .where(Notification.id == sa.bindparam("notification_id"), Notification.status != DeliveryStatus.sent)
    .values(status=DeliveryStatus.sent, sent_at=sa.bindparam("sent_at"), last_error="",
            provider_reference=sa.bindparam("reference"),
            attempts=sa.case((Notification.attempts + 1 > sa.bindparam("attempts"), Notification.attempts + 1),
                             else_=sa.bindparam("attempts")))
    .execution_options(synchronize_session=False)  # no notification is loaded in the recording session
)
# One page alone: the same statement, saying what the timeline and the first-page metric need.
_MARK_SENT = _MARK_EACH_SENT.returning(Notification.alert_id, Notification.kind,
                                       *events.paged_before(cast(sa.Table, Notification.__table__)))


def record_sent(db: Session, notification_id: int, *, attempts: int, receipt: Receipt, clock: Clock,
                handle: str) -> None:
    """Mark the notification sent and say so on the alert's timeline, once (``handle``: who was paged)."""
    now = clock.now()
    # On the connection: no autoflush of the batch's earlier timeline events (they are written together at
    # commit), and none of the ORM's bulk-update machinery for a statement that touches no loaded row.
    marked = db.connection().execute(_MARK_SENT, {"notification_id": notification_id, "sent_at": now,
                                                  "attempts": attempts, "reference": receipt.reference[:64]}).first()
    if marked is None:
        return  # another engine recorded this send already (or the notification is gone)
    alert_id, kind, opened_at, paged_before = marked
    events.page_sent(db, kind=kind, sent_at=now,
                     first_of_alert_opened_at=opened_at if alert_id is not None and not paged_before else None)
    if alert_id is not None:
        _say_notified(db, clock, alert_id, kind, notification_id, receipt, handle)


def _say_notified(db: Session, clock: Clock, alert_id: int, kind: ContactKind, notification_id: int,
                  receipt: Receipt, handle: str) -> None:
    body = f"Notified @{handle} by {CHANNEL[kind]}" + (f" ({receipt.note})" if receipt.note else "")
    alerts.record_event(db=db, actor=Actor.system(clock), alert_id=alert_id, kind="notified",
                        body=body, notification_id=notification_id, channel=kind.value,
                        user=handle, reference=receipt.reference, note=receipt.note)


@dataclass(frozen=True)
class SentPage:
    """A page that went out, to be recorded with its job's completion: on its own (called), or with the engine
    batch's other sent pages by one read and one write (``together``)."""

    notification_id: int
    attempts: int
    receipt: Receipt
    handle: str
    clock: Clock

    def __call__(self, db: Session) -> None:
        record_sent(db, self.notification_id, attempts=self.attempts, receipt=self.receipt, clock=self.clock,
                    handle=self.handle)

    @staticmethod
    def together(db: Session, pages: list[SentPage]) -> None:
        record_sent_pages(db, pages)


# Several pages at once: their rows locked and read (with what the first-page metric needs), then the ones not
# marked already are marked by one executemany of _MARK_EACH_SENT. Built once.
_IDS: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
_OPENED, _PAGED_BEFORE = events.paged_before_all_of(_IDS)
_TO_MARK = (
    sa.select(Notification.id, Notification.alert_id, Notification.kind, Notification.status,
              _OPENED.label("alert_opened_at"), _PAGED_BEFORE.label("paged_before"))
    .where(Notification.id.in_(_IDS))
    .order_by(Notification.id)
    .with_for_update(of=Notification)  # PostgreSQL: another engine recording the same send waits for this one
)


def record_sent_pages(db: Session, pages: list[SentPage]) -> None:
    """Record several sent pages as ``record_sent`` records one, by two statements whatever their number: each
    notification marked sent once, its alert's timeline told, an alert's first page counted once."""
    if len(pages) == 1:
        pages[0](db)
        return
    by_id = {page.notification_id: page for page in pages}  # the same send twice in a batch: recorded once
    now = pages[0].clock.now()
    connection = db.connection()
    rows = connection.execute(_TO_MARK, {"ids": list(by_id)}).all()
    paged = {row.alert_id for row in rows if row.status is DeliveryStatus.sent}  # recorded by another engine
    to_mark = [row for row in rows if row.status is not DeliveryStatus.sent]
    if not to_mark:
        return
    connection.execute(_MARK_EACH_SENT, [
        {"notification_id": row.id, "sent_at": now, "attempts": by_id[row.id].attempts,
         "reference": by_id[row.id].receipt.reference[:64]} for row in to_mark])
    for row in to_mark:  # by id: the first of an alert's pages among them is its first page
        page = by_id[row.id]
        first = row.alert_id is not None and not row.paged_before and row.alert_id not in paged
        paged.add(row.alert_id)
        events.page_sent(db, kind=row.kind, sent_at=now,
                         first_of_alert_opened_at=row.alert_opened_at if first else None)
        if row.alert_id is not None:
            _say_notified(db, page.clock, row.alert_id, row.kind, row.id, page.receipt, page.handle)


def mark_failed(*, db: Session, job: Job, clock: Clock) -> None:
    """The job gave up (a permanent error, or out of retries): the delivery record says failed, and why.

    The reason is the one the failed send recorded for everyone to read; the job's own error (connection
    details included) stays on the engine's job record, for admins.
    """
    found = notification_of(db, job.payload)
    notification = _lock(db, found.id) if found is not None else None
    if notification is None or notification.status is not DeliveryStatus.queued:
        return
    reason = notification.last_error or "gave up; an admin can see why in the engine's failed jobs"
    notification.status = DeliveryStatus.failed
    notification.last_error = reason[:2000]
    if notification.alert_id is None:
        return
    handle = db.scalar(sa.select(User.handle).where(User.id == notification.user_id))
    alerts.record_event(db=db, actor=Actor.system(clock), alert_id=notification.alert_id, kind="notify_failed",
                        body=f"Could not notify @{handle} by {CHANNEL[notification.kind]}: {reason}",
                        notification_id=notification.id, channel=notification.kind.value, user=handle,
                        reason=reason)


def make_failure_handler(clock: Clock) -> TransactionalHandler:
    """The engine's on_dead handler for NOTIFY_JOB."""

    def notification_failed(db: Session, job: Job) -> None:
        mark_failed(db=db, job=job, clock=clock)

    return notification_failed
