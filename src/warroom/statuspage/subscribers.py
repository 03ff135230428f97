"""Subscribers: email (double opt-in, one-click unsubscribe) and webhooks, and the jobs that tell them.

Links in mails are signed with the installation's secret key over the subscriber's identity, so
nobody can confirm or cancel someone else's subscription by guessing or editing a link. Deliveries are
engine jobs written in the publishing transaction: one per subscriber, with an idempotency id the
receiver dedups on (Message-ID for mail, webhook-id for webhooks).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole
from warroom.accounts.service import EMAIL_RE
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.clock import Clock
from warroom.core.errors import Conflict, NotFound, ValidationFailed, WarroomError
from warroom.core.outbound import STRICT, OutboundPolicy
from warroom.core.security import sign
from warroom.engine import queue
from warroom.statuspage import service
from warroom.statuspage.models import PublicUpdate, StatusPage, Subscriber, SubscriberKind

STATUS_JOB = "status_page"
CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
# A second confirmation mail to the same address waits this long: the form cannot be used to flood an inbox.
CONFIRM_COOLDOWN = timedelta(minutes=10)
MAX_ADDRESS = 254
MAX_URL = 1000


class BadLink(WarroomError):
    """A confirmation or unsubscribe link that was not made by Warroom (altered, cut short, or made up)."""

    status = 400
    title = "Invalid link"


def public_actor(clock: Clock) -> Actor:
    """Whoever uses the public page: no account, the lowest access."""
    return Actor(None, "public", AccessRole.viewer, "status-page", clock)


# Signed links ----------------------------------------------------------------------------------------------


def link_signature(secret_key: str, action: str, subscriber: Subscriber) -> str:
    message = "|".join(("status-subscriber", action, str(subscriber.id), str(subscriber.page_id),
                        subscriber.kind.value, subscriber.address, subscriber.created_at.isoformat()))
    return sign(secret_key, message)


def link(base_url: str, secret_key: str, page: StatusPage, subscriber: Subscriber, action: str) -> str:
    query = urlencode({"id": subscriber.id, "sig": link_signature(secret_key, action, subscriber)})
    return f"{base_url.rstrip('/')}/status/{page.slug}/subscription/{action}?{query}"


def verify_link(*, db: Session, page: StatusPage, subscriber_id: str, signature: str, action: str,
                secret_key: str) -> Subscriber:
    refused = BadLink("This link is not valid: it was changed or cut short. Open the whole link from the "
                      "mail again, or subscribe anew on the status page.", field="sig")
    if not is_count(subscriber_id) or len(subscriber_id) > 12 or not signature or len(signature) > 128:
        raise refused
    subscriber = db.get(Subscriber, int(subscriber_id))
    if subscriber is None or subscriber.page_id != page.id:
        raise refused
    if not hmac.compare_digest(signature, link_signature(secret_key, action, subscriber)):
        raise refused
    return subscriber


# Email subscribers (public) --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscribed:
    subscriber: Subscriber | None
    message: str
    mail_queued: bool


CHECK_INBOX = ("Check your inbox: we sent a link to confirm the subscription. Nothing is sent until you "
               "confirm.")


def clean_email(value: str) -> str:
    address = value.strip().lower()
    if not address:
        raise ValidationFailed("Give the email address the updates should go to.", field="email")
    if len(address) > MAX_ADDRESS or not EMAIL_RE.match(address) or any(c in address for c in "<>\"',;\\"):
        raise ValidationFailed(f"'{address[:80]}' is not an email address.", field="email")
    return address


def clean_component_ids(*, db: Session, page: StatusPage, ids: Sequence[int]) -> list[int]:
    wanted = sorted(set(ids))
    found = {c.id for c in service.list_components(db=db, page_id=page.id)}
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise NotFound(f"No component {', '.join(f'#{i}' for i in unknown)} on “{page.name}”.",
                       field="components")
    return wanted


def subscribe_email(*, db: Session, page: StatusPage, email: str, component_ids: Sequence[int],
                    clock: Clock) -> Subscribed:
    """Start (or restart) a double opt-in: one confirmation mail, then nothing until the link is followed.

    The answer is the same whether the address was new, pending or confirmed, so the form tells nobody
    who is subscribed.
    """
    address = clean_email(email)
    ids = clean_component_ids(db=db, page=page, ids=component_ids)
    now = clock.now()
    subscriber = db.scalar(sa.select(Subscriber).where(
        Subscriber.page_id == page.id, Subscriber.kind == SubscriberKind.email, Subscriber.address == address))
    if subscriber is not None and subscriber.is_active:
        return Subscribed(subscriber, CHECK_INBOX, False)
    if subscriber is None:
        subscriber = Subscriber(page_id=page.id, kind=SubscriberKind.email, address=address, component_ids=ids,
                                secret="", created_at=now)
        db.add(subscriber)
        db.flush()
    elif (subscriber.confirmation_sent_at is not None and subscriber.unsubscribed_at is None
          and now - subscriber.confirmation_sent_at < CONFIRM_COOLDOWN):
        return Subscribed(subscriber, CHECK_INBOX, False)
    else:
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
        subscriber.component_ids = ids
    subscriber.confirmation_sent_at = now
    queue.enqueue(db=db, kind=STATUS_JOB, payload={"what": CONFIRM, "subscriber_id": subscriber.id},
                  idempotency_key=f"status-confirm-{subscriber.id}-{now.strftime('%Y%m%d%H%M%S%f')}", due_at=now)
    audit.record(db=db, actor=public_actor(clock), action="status_subscriber.subscribe", target_type="status_page",
                 target_id=page.slug, subscriber_id=subscriber.id, kind="email", components=ids)
    return Subscribed(subscriber, CHECK_INBOX, True)


def confirm(*, db: Session, page: StatusPage, subscriber_id: str, signature: str, secret_key: str,
            clock: Clock) -> Subscriber:
    subscriber = verify_link(db=db, page=page, subscriber_id=subscriber_id, signature=signature, action=CONFIRM,
                             secret_key=secret_key)
    if subscriber.unsubscribed_at is not None:
        raise Conflict("This subscription was cancelled. Subscribe again on the status page to restart it.")
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = clock.now()
        audit.record(db=db, actor=public_actor(clock), action="status_subscriber.confirm",
                     target_type="status_page", target_id=page.slug, subscriber_id=subscriber.id)
    return subscriber


def unsubscribe(*, db: Session, page: StatusPage, subscriber_id: str, signature: str, secret_key: str,
                clock: Clock) -> Subscriber:
    subscriber = verify_link(db=db, page=page, subscriber_id=subscriber_id, signature=signature,
                             action=UNSUBSCRIBE, secret_key=secret_key)
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = clock.now()
        audit.record(db=db, actor=public_actor(clock), action="status_subscriber.unsubscribe",
                     target_type="status_page", target_id=page.slug, subscriber_id=subscriber.id)
    return subscriber


# Webhook subscribers (added by a page's editors) ------------------------------------------------------------


def clean_url(value: str, outbound: OutboundPolicy = STRICT) -> str:
    """An http(s) URL without credentials, whose host leads only to addresses ``outbound`` allows."""
    url = value.strip()
    parts = urlsplit(url)
    if (len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname
            or any(c.isspace() for c in url) or parts.username or parts.password):
        raise ValidationFailed("A webhook address is an http:// or https:// URL without spaces or credentials, "
                               "e.g. https://hooks.example.com/warroom.", field="url")
    return outbound.check_url(url, field="url")


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and base64 of 24 random bytes."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_webhook(*, db: Session, actor: Actor, page: StatusPage, url: str, component_ids: Sequence[int] = (),
                outbound: OutboundPolicy = STRICT) -> Subscriber:
    """An editor adds a customer's webhook; it is confirmed at once (the editor vouches for it)."""
    service.require_editor(db=db, actor=actor, page=page)
    address = clean_url(url, outbound)
    ids = clean_component_ids(db=db, page=page, ids=component_ids)
    now = actor.clock.now()
    subscriber = db.scalar(sa.select(Subscriber).where(
        Subscriber.page_id == page.id, Subscriber.kind == SubscriberKind.webhook, Subscriber.address == address))
    if subscriber is not None and subscriber.unsubscribed_at is None:
        raise Conflict(f"{address} is already subscribed to “{page.name}”.", field="url")
    if subscriber is None:
        subscriber = Subscriber(page_id=page.id, kind=SubscriberKind.webhook, address=address, created_at=now)
        db.add(subscriber)
    subscriber.component_ids = ids
    subscriber.secret = new_webhook_secret()
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.created_by_id = actor.user_id
    db.flush()
    audit.record(db=db, actor=actor, action="status_subscriber.add_webhook", target_type="status_page",
                 target_id=page.slug, subscriber_id=subscriber.id, url=address, components=ids)
    return subscriber


def remove_subscriber(*, db: Session, actor: Actor, page: StatusPage, subscriber_id: int) -> Subscriber:
    service.require_editor(db=db, actor=actor, page=page)
    subscriber = db.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.page_id != page.id:
        raise NotFound(f"No subscriber #{subscriber_id} on “{page.name}”.", field="subscriber")
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = actor.clock.now()
        audit.record(db=db, actor=actor, action="status_subscriber.remove", target_type="status_page",
                     target_id=page.slug, subscriber_id=subscriber.id)
    return subscriber


def list_subscribers(*, db: Session, page_id: int, include_cancelled: bool = False) -> list[Subscriber]:
    query = sa.select(Subscriber).where(Subscriber.page_id == page_id)
    if not include_cancelled:
        query = query.where(Subscriber.unsubscribed_at.is_(None))
    return list(db.scalars(query.order_by(Subscriber.id)))


# Deliveries ----------------------------------------------------------------------------------------------


def wants(subscriber: Subscriber, component_ids: Sequence[int]) -> bool:
    """Whole-page subscribers hear everything; the others, news of their components."""
    return not subscriber.component_ids or bool(set(subscriber.component_ids) & set(component_ids))


def enqueue_update(*, db: Session, page: StatusPage, update: PublicUpdate, component_ids: Sequence[int],
                   now: datetime) -> int:
    """One job per confirmed subscriber who wants this news; returns how many were queued."""
    query = sa.select(Subscriber).where(Subscriber.page_id == page.id, Subscriber.confirmed_at.is_not(None),
                                        Subscriber.unsubscribed_at.is_(None)).order_by(Subscriber.id)
    count = 0
    for subscriber in db.scalars(query):
        if not wants(subscriber, component_ids):
            continue
        queue.enqueue(db=db, kind=STATUS_JOB,
                      payload={"what": "update", "subscriber_id": subscriber.id, "update_id": update.id,
                               "page_id": page.id},
                      idempotency_key=f"status-update-{update.id}-{page.id}-{subscriber.id}", due_at=now)
        count += 1
    return count
