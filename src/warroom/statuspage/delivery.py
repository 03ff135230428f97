"""The engine handler for status page jobs: confirmation mails and each publish's news to subscribers.

The send happens outside any write transaction; the engine records the result afterwards, so a crash
in between sends again (at least once). Mail carries a Message-ID and webhooks a webhook-id made from
the job's idempotency key, so receivers drop the repeat. A subscriber who unsubscribed before the send
is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.core.outbound import OutboundPolicy
from warroom.engine.models import Job
from warroom.engine.runner import Handler
from warroom.ports import Mail, Mailer, WebhookFactory
from warroom.statuspage import subscribers
from warroom.statuspage.models import (
    ComponentState,
    PublicIncident,
    PublicUpdate,
    StatusPage,
    Subscriber,
    SubscriberKind,
    UpdatePosting,
)
from warroom.statuspage.subscribers import CONFIRM, UNSUBSCRIBE, link

log = logging.getLogger("warroom.statuspage")

STATUS_JOB = subscribers.STATUS_JOB

WEBHOOK_EVENT = "status_page.update"


@dataclass(frozen=True)
class LogMailer:
    """Without an SMTP server the mail goes to the log (the confirmation link with it)."""

    def send(self, mail: Mail) -> None:
        log.info("status page mail %s to %s: %s\n%s", mail.idempotency_id, mail.to, mail.subject, mail.body)


@dataclass(frozen=True)
class News:
    """One published update as one page shows it, read before the send (plain values: nothing lazy-loads)."""

    page_slug: str
    page_name: str
    incident_id: int
    title: str
    incident_status: str
    started_at: datetime
    resolved_at: datetime | None
    update_id: int
    status: str
    body: str
    published_at: datetime
    affected: list[dict[str, Any]]


def load_news(db: Session, update_id: int, page_id: int) -> News | None:
    row = db.execute(
        sa.select(PublicUpdate, PublicIncident, StatusPage)
        .join(UpdatePosting, UpdatePosting.update_id == PublicUpdate.id)
        .join(PublicIncident, PublicIncident.id == UpdatePosting.public_incident_id)
        .join(StatusPage, StatusPage.id == PublicIncident.page_id)
        .where(PublicUpdate.id == update_id, StatusPage.id == page_id)
    ).first()
    if row is None:
        return None
    update, public, page = row
    posting = db.get(UpdatePosting, (update.id, public.id))
    return News(page.slug, page.name, public.id, public.title, public.status.value, public.started_at,
                public.resolved_at, update.id, update.status.value, update.body, update.published_at or
                update.updated_at, list(posting.affected) if posting else [])


def _affected_line(affected: list[dict[str, Any]]) -> str:
    parts = []
    for item in affected:
        try:
            label = ComponentState(item.get("state", "")).label.lower()
        except ValueError:
            label = str(item.get("state", ""))
        parts.append(f"{item.get('name', '')} ({label})")
    return ", ".join(parts)


def page_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/status/{slug}"


def update_mail(news: News, subscriber: Subscriber, *, base_url: str, unsubscribe_url: str, key: str,
                now: datetime) -> Mail:
    status = news.status.capitalize()
    lines = [f"{news.page_name}: {news.title}", f"Status: {status}"]
    affected = _affected_line(news.affected)
    if affected:
        lines.append(f"Affected: {affected}")
    lines += ["", news.body, "", f"Posted {news.published_at.strftime('%Y-%m-%d %H:%M UTC')}.",
              f"Status page: {page_url(base_url, news.page_slug)}#incident-{news.incident_id}", "", "-- ",
              f"You receive this because you subscribed to {news.page_name} status updates.",
              f"Unsubscribe with one click: {unsubscribe_url}"]
    return Mail(to=subscriber.address, subject=f"[{news.page_name}] {news.title} — {status}", body="\n".join(lines),
                idempotency_id=key, at=now, headers=unsubscribe_headers(unsubscribe_url))


def unsubscribe_headers(unsubscribe_url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the signed link."""
    return {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def confirm_mail(page: StatusPage, subscriber: Subscriber, *, base_url: str, confirm_url: str, key: str,
                 now: datetime) -> Mail:
    body = "\n".join([
        f"Someone (we hope you) asked for {page.name} status updates to be sent to this address.",
        "", "To confirm, open this link and press the button:", confirm_url, "",
        "If it was not you, ignore this mail: nothing more will be sent.", "", "-- ",
        f"{page.name} status: {page_url(base_url, page.slug)}",
    ])
    return Mail(to=subscriber.address, subject=f"Confirm your subscription to {page.name} status updates",
                body=body, idempotency_id=key, at=now)


def webhook_payload(news: News, *, base_url: str, unsubscribe_url: str, key: str, now: datetime) -> dict[str, Any]:
    url = page_url(base_url, news.page_slug)
    return {
        "type": WEBHOOK_EVENT,
        "timestamp": now.isoformat(),
        "idempotency_key": key,
        "page": {"slug": news.page_slug, "name": news.page_name, "url": url},
        "incident": {"id": news.incident_id, "title": news.title, "status": news.incident_status,
                     "started_at": news.started_at.isoformat(),
                     "resolved_at": news.resolved_at.isoformat() if news.resolved_at else None,
                     "url": f"{url}#incident-{news.incident_id}"},
        "update": {"id": news.update_id, "status": news.status, "body": news.body,
                   "published_at": news.published_at.isoformat(), "components": news.affected},
        "unsubscribe_url": unsubscribe_url,
    }


def make_handler(settings: Settings, secret_key: str, clock: Clock, *, mailer: Mailer | None,
                 webhook: WebhookFactory, outbound: OutboundPolicy) -> Handler:
    """The engine handler for STATUS_JOB: mail through ``mailer`` (the log without one), subscribers' webhooks
    only to addresses ``outbound`` allows."""
    send_mail = mailer or LogMailer()

    def deliver_status_news(db: Session, job: Job) -> None:
        base_url = settings.base_url
        what = job.payload.get("what")
        subscriber = db.get(Subscriber, int(job.payload["subscriber_id"]))
        page = db.get(StatusPage, subscriber.page_id) if subscriber is not None else None
        if subscriber is None or page is None:
            return  # the page (and its subscribers) were removed: nothing to say
        news = load_news(db, int(job.payload["update_id"]), page.id) if what == "update" else None
        db.expunge_all()
        db.rollback()  # let go of the read snapshot before a send that may take seconds
        now = clock.now()
        if what == CONFIRM:
            if subscriber.confirmed_at is None and subscriber.unsubscribed_at is None:
                url = link(base_url, secret_key, page, subscriber, CONFIRM)
                send_mail.send(confirm_mail(page, subscriber, base_url=base_url, confirm_url=url,
                                         key=job.idempotency_key, now=now))
            return
        if what != "update":
            raise DeliveryError(f"unknown status page job '{what}'", permanent=True)
        if news is None or not subscriber.is_active:
            return  # unsubscribed since, or the update is gone
        unsubscribe_url = link(base_url, secret_key, page, subscriber, UNSUBSCRIBE)
        if subscriber.kind is SubscriberKind.email:
            send_mail.send(update_mail(news, subscriber, base_url=base_url, unsubscribe_url=unsubscribe_url,
                                    key=job.idempotency_key, now=now))
        else:
            payload = webhook_payload(news, base_url=base_url, unsubscribe_url=unsubscribe_url,
                                      key=job.idempotency_key, now=now)
            webhook(subscriber.address, subscriber.secret, policy=outbound).send(
                message_id=job.idempotency_key, payload=payload, at=now)

    return deliver_status_news
