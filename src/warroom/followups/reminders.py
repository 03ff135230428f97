"""Remind owners of their overdue follow-ups, once a day.

An engine manager: it finds open follow-ups past their due date whose owner has not been reminded of them today
(UTC), and sends each owner one message listing all of theirs (text, incident, due date, link) through the
notification delivery: at once, on each of the owner's immediate contact methods, or their sign-up email. Each
follow-up's ``last_reminded_on`` is set in the same transaction as the notifications are queued, so a restart or
a second engine process sends nothing twice (PostgreSQL: the rows are claimed with SKIP LOCKED; SQLite: writers
take turns, and the second finds them reminded; the notification's idempotency key, per owner, day and first
follow-up, stops any race that slips through). Follow-ups without an owner, or whose owner is deactivated, are
reminded to nobody; the overdue page lists them.

A follow-up of a private security incident whose owner may not see that incident is named only by its number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.runner import Manager
from warroom.followups.models import FollowUp, FollowUpStatus
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.notifications.models import ContactKind, DeliveryStatus, Notification
from warroom.notifications.planning import NOTIFY_JOB, rules_of

BATCH = 500
RECHECK = timedelta(minutes=10)  # a follow-up given a past due date today is picked up within this


@dataclass(frozen=True)
class Overdue:
    followup: FollowUp
    incident: Incident


def to_remind(*, db: Session, today: date, lock: bool = False, limit: int = BATCH) -> list[Overdue]:
    """Open overdue follow-ups with an active owner not yet reminded today, ordered by owner."""
    query = (sa.select(FollowUp, Incident).join(Incident, Incident.id == FollowUp.incident_id)
             .join(User, User.id == FollowUp.owner_id)
             .where(FollowUp.status == FollowUpStatus.open, FollowUp.due_on < today, User.is_active,
                    sa.or_(FollowUp.last_reminded_on.is_(None), FollowUp.last_reminded_on < today))
             .order_by(FollowUp.owner_id, FollowUp.due_on, FollowUp.id).limit(limit))
    if lock:
        query = query.with_for_update(skip_locked=True, of=FollowUp)
    return [Overdue(f, i) for f, i in db.execute(query)]


def _line(db: Session, owner: User, item: Overdue, base_url: str, clock: Clock) -> str:
    f, incident = item.followup, item.incident
    link = f"{base_url.rstrip('/')}/incidents/{incident.ref}/followups"
    due = f.due_on.isoformat() if f.due_on else "?"
    if visibility.is_private(incident) and not visibility.can_see(
            db=db, actor=Actor(owner.id, owner.handle, owner.access_role, "reminder", clock), incident=incident):
        return f"- follow-up #{f.id} of a private security incident, due {due}"
    return f"- {incident.ref} follow-up #{f.id}: {f.text} (due {due})\n  {link}"


def message(*, db: Session, owner: User, items: list[Overdue], base_url: str, clock: Clock) -> tuple[str, str]:
    """The subject and body of one owner's reminder."""
    if len(items) == 1:
        subject = f"Overdue follow-up #{items[0].followup.id} ({items[0].incident.ref}), due " \
                  f"{items[0].followup.due_on.isoformat() if items[0].followup.due_on else '?'}"
    else:
        subject = f"{len(items)} overdue follow-ups"
    lines = [f"Hello @{owner.handle}, these follow-ups you own are past their due date:", ""]
    lines += [_line(db, owner, item, base_url, clock) for item in items]
    lines += ["", "Mark one done, or give it a new due date, on its incident's follow-ups page.",
              f"Every overdue follow-up: {base_url.rstrip('/')}/followups/overdue"]
    return subject, "\n".join(lines)


def remind_owner(*, db: Session, owner: User, items: list[Overdue], now: datetime, base_url: str,
                 clock: Clock) -> list[Notification]:
    """Queue the owner's reminder on their immediate contact methods and mark the follow-ups reminded today."""
    today = now.date()
    subject, body = message(db=db, owner=owner, items=items, base_url=base_url, clock=clock)
    first = min(item.followup.id for item in items)
    methods = {m.id: m for rule, m in rules_of(db, owner.id) if rule.delay_minutes == 0}
    targets: list[tuple[int | None, ContactKind]] = [(m.id, m.kind) for m in methods.values()]
    incidents = {item.incident.id for item in items}
    notifications = [
        Notification(alert_id=None, incident_id=next(iter(incidents)) if len(incidents) == 1 else None,
                     user_id=owner.id, contact_method_id=method_id, kind=kind, subject=subject[:300], body=body,
                     status=DeliveryStatus.queued, created_at=now, due_at=now, attempts=0, last_error="",
                     idempotency_key=f"ntf-overdue-u{owner.id}-{today}-f{first}-{index}")
        for index, (method_id, kind) in enumerate(targets or [(None, ContactKind.email)])
    ]
    db.add_all(notifications)
    for item in items:
        item.followup.last_reminded_on = today
    db.flush()  # a second engine that reminded this owner today fails here, before anything is queued
    for notification in notifications:
        queue.enqueue(db=db, kind=NOTIFY_JOB, payload={"notification_key": notification.idempotency_key},
                      idempotency_key=f"notify-{notification.idempotency_key}", due_at=now)
    return notifications


def send_reminders(*, db: Session, now: datetime, base_url: str, clock: Clock) -> int:
    """Remind owners with overdue follow-ups not reminded today (a batch); returns how many follow-ups."""
    found = to_remind(db=db, today=now.date(), lock=True)
    by_owner: dict[int, list[Overdue]] = {}
    for item in found:
        by_owner.setdefault(int(item.followup.owner_id or 0), []).append(item)
    for owner_id, items in by_owner.items():
        owner = db.get(User, owner_id)
        if owner is not None:
            remind_owner(db=db, owner=owner, items=items, now=now, base_url=base_url, clock=clock)
    return len(found)


def make_manager(base_url: str, clock: Clock) -> Manager:
    """The engine manager: look for follow-ups to remind on a new day, and every ten minutes within it."""
    checked: list[datetime] = []

    def followup_reminders(database: Database, now: datetime) -> None:
        if checked and checked[0].date() == now.date() and now - checked[0] < RECHECK:
            return
        with database.reading() as db:
            if not to_remind(db=db, today=now.date(), limit=1):
                checked[:] = [now]
                return  # the usual case: one read, no write lock taken
        with database.writing() as db:
            if send_reminders(db=db, now=now, base_url=base_url, clock=clock) < BATCH:
                checked[:] = [now]  # all done for now; a full batch carries on at the next tick

    return followup_reminders

