"""Contact methods and notification rules: how and when a person wants to be reached when paged.

People edit their own; admins edit anyone's. Every change is audited. Input is checked whole before
anything is written, so bad input leaves nothing behind. Takes a session; commits nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.accounts.service import EMAIL_RE
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from warroom.core.outbound import STRICT, OutboundPolicy
from warroom.notifications.models import (
    ContactKind,
    ContactMethod,
    DeliveryStatus,
    Notification,
    NotificationRule,
)

MAX_DELAY_MINUTES = 1440  # a day: later than that, escalation should have reached someone else
MAX_LABEL = 100
MAX_ADDRESS = 1000
MAX_METHODS = 20
MAX_RULES = 30
ADDRESS_SPECIALS = set(',;:<>()[]"\\')
E164_RE = re.compile(r"^\+[1-9]\d{1,14}$")
PHONE_PUNCTUATION_RE = re.compile(r"[\s().-]")
# Slack member ids (U012AB3CD), @handles, Matrix ids (@bob:example.org).
CHAT_HANDLE_RE = re.compile(r"^@?[A-Za-z0-9][A-Za-z0-9._:=/-]{0,254}$")


def parse_kind(value: ContactKind | str) -> ContactKind:
    try:
        return ContactKind(str(value).strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in ContactKind)
        raise ValidationFailed(f"Unknown contact method '{value}'. Use one of: {kinds}.", field="kind") from None


def normalise_address(kind: ContactKind, address: str, outbound: OutboundPolicy = STRICT) -> str:
    """Check an address for its kind and return it in the form it is stored and sent to.

    A webhook URL must lead to an address ``outbound`` allows (public, or a network the operator allows).
    """
    text = address.strip()
    if not text:
        raise ValidationFailed(f"Give the {kind.value} address to reach you at.", field="address")
    if len(text) > MAX_ADDRESS:
        raise ValidationFailed(f"Addresses are at most {MAX_ADDRESS} characters.", field="address")
    if kind is ContactKind.email:
        return _email(text)
    if kind is ContactKind.webhook:
        return outbound.check_url(_webhook_url(text), field="address")
    if kind in (ContactKind.sms, ContactKind.voice):
        return _phone(text)
    return _chat_handle(text)


def _email(text: str) -> str:
    # One plain address: no display names, lists or quoting, which would change who the mail goes to.
    if len(text) > 254 or not EMAIL_RE.match(text) or any(c in ADDRESS_SPECIALS for c in text):
        raise ValidationFailed(f"'{text}' is not an email address (like bob@example.com).", field="address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _webhook_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in text):
        raise ValidationFailed(f"'{text}' is not a web address; a webhook needs an https:// (or http://) URL.",
                               field="address")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ValidationFailed(f"'{text}' has an invalid port.", field="address") from None
    return text


def _phone(text: str) -> str:
    number = PHONE_PUNCTUATION_RE.sub("", text)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not E164_RE.match(number):
        raise ValidationFailed(
            f"'{text}' is not a phone number in international (E.164) form: a '+', the country code and the "
            "number, like +14155550123.", field="address")
    return number


def _chat_handle(text: str) -> str:
    if not CHAT_HANDLE_RE.match(text):
        raise ValidationFailed(f"'{text}' is not a chat handle (like @bob, a Slack member id like U012AB3CD, "
                               "or a Matrix id like @bob:example.org).",
                               field="address")
    return text


def _may_edit(actor: Actor, user: User) -> None:
    if actor.user_id != user.id and not actor.is_admin:
        raise PermissionDenied(f"Only @{user.handle} or an admin can change how @{user.handle} is reached.")


def list_contact_methods(*, db: Session, user: User) -> list[ContactMethod]:
    query = sa.select(ContactMethod).where(ContactMethod.user_id == user.id).order_by(ContactMethod.id)
    return list(db.scalars(query))


def add_contact_method(*, db: Session, actor: Actor, user: User, kind: ContactKind | str, address: str,
                       label: str = "", outbound: OutboundPolicy = STRICT) -> ContactMethod:
    _may_edit(actor, user)
    contact_kind = parse_kind(kind)
    clean_address = normalise_address(contact_kind, address, outbound)
    clean_label = " ".join(label.split())
    if len(clean_label) > MAX_LABEL:
        raise ValidationFailed(f"Labels are at most {MAX_LABEL} characters.", field="label")
    existing = list_contact_methods(db=db, user=user)
    same = [m for m in existing if m.kind is contact_kind and m.address.lower() == clean_address.lower()]
    if same:
        raise Conflict(f"@{user.handle} already has {contact_kind.value} {same[0].address}.", field="address")
    if len(existing) >= MAX_METHODS:
        raise ValidationFailed(f"At most {MAX_METHODS} contact methods per person.", field="kind")
    method = ContactMethod(user_id=user.id, kind=contact_kind, address=clean_address, label=clean_label,
                           created_at=actor.clock.now())
    db.add(method)
    db.flush()
    audit.record(db=db, actor=actor, action="contact_method.add", target_type="contact_method",
                 target_id=method.id, user=user.handle, kind=contact_kind.value)
    return method


def get_contact_method(*, db: Session, method_id: int) -> ContactMethod:
    method = db.get(ContactMethod, method_id)
    if method is None:
        raise NotFound(f"No contact method #{method_id}.", field="contact_method")
    return method


def remove_contact_method(*, db: Session, actor: Actor, method_id: int) -> ContactMethod:
    """Remove a contact method and the rules that use it; queued notifications to it then fail with a reason."""
    method = get_contact_method(db=db, method_id=method_id)
    owner = _owner(db, method.user_id)
    _may_edit(actor, owner)
    rules = db.scalar(sa.select(sa.func.count()).select_from(NotificationRule)
                      .where(NotificationRule.contact_method_id == method.id)) or 0
    db.execute(sa.delete(NotificationRule).where(NotificationRule.contact_method_id == method.id))
    db.delete(method)
    audit.record(db=db, actor=actor, action="contact_method.remove", target_type="contact_method",
                 target_id=method_id, user=owner.handle, kind=method.kind.value, rules_removed=int(rules))
    return method


@dataclass(frozen=True)
class RuleView:
    id: int
    delay_minutes: int
    contact_method_id: int
    kind: ContactKind
    address: str
    label: str

    @property
    def description(self) -> str:
        when = "at once" if self.delay_minutes == 0 else f"after {self.delay_minutes} min if unacknowledged"
        return f"{self.kind.value} {self.address} {when}"


def list_rules(*, db: Session, user: User) -> list[RuleView]:
    query = (sa.select(NotificationRule, ContactMethod)
             .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
             .where(NotificationRule.user_id == user.id)
             .order_by(NotificationRule.delay_minutes, NotificationRule.id))
    return [RuleView(r.id, r.delay_minutes, m.id, m.kind, m.address, m.label) for r, m in db.execute(query)]


def add_rule(*, db: Session, actor: Actor, user: User, contact_method_id: int,
             delay_minutes: int = 0) -> NotificationRule:
    """Reach ``user`` on this contact method, ``delay_minutes`` after a page if nobody has acknowledged."""
    _may_edit(actor, user)
    if isinstance(delay_minutes, bool) or not isinstance(delay_minutes, int) or not (
            0 <= delay_minutes <= MAX_DELAY_MINUTES):
        raise ValidationFailed(f"The delay is a whole number of minutes from 0 to {MAX_DELAY_MINUTES}.",
                               field="delay_minutes")
    method = db.get(ContactMethod, contact_method_id)
    if method is None or method.user_id != user.id:
        raise ValidationFailed(f"Contact method #{contact_method_id} is not one of @{user.handle}'s; add it "
                               "first, then make a rule for it.", field="contact_method")
    rules = list_rules(db=db, user=user)
    if any(r.contact_method_id == method.id and r.delay_minutes == delay_minutes for r in rules):
        raise Conflict(f"@{user.handle} already has that rule.", field="delay_minutes")
    if len(rules) >= MAX_RULES:
        raise ValidationFailed(f"At most {MAX_RULES} notification rules per person.", field="delay_minutes")
    rule = NotificationRule(user_id=user.id, contact_method_id=method.id, delay_minutes=delay_minutes)
    db.add(rule)
    db.flush()
    audit.record(db=db, actor=actor, action="notification_rule.add", target_type="notification_rule",
                 target_id=rule.id, user=user.handle, kind=method.kind.value, delay_minutes=delay_minutes)
    return rule


def remove_rule(*, db: Session, actor: Actor, rule_id: int) -> NotificationRule:
    rule = db.get(NotificationRule, rule_id)
    if rule is None:
        raise NotFound(f"No notification rule #{rule_id}.", field="rule")
    owner = _owner(db, rule.user_id)
    _may_edit(actor, owner)
    db.delete(rule)
    audit.record(db=db, actor=actor, action="notification_rule.remove", target_type="notification_rule",
                 target_id=rule_id, user=owner.handle, delay_minutes=rule.delay_minutes)
    return rule


def _owner(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"No user #{user_id}.", field="user")
    return user


@dataclass(frozen=True)
class DeliveryView:
    """One row of an alert's delivery record: who, how, and what became of it."""

    id: int
    user_handle: str
    kind: ContactKind
    status: DeliveryStatus
    attempts: int
    last_error: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    provider_status: str = ""  # what the phone provider last reported: delivered, undelivered, busy...


def delivery_records(*, db: Session, alert_id: int) -> list[DeliveryView]:
    query = (sa.select(Notification, User.handle).join(User, User.id == Notification.user_id)
             .where(Notification.alert_id == alert_id).order_by(Notification.id))
    return [DeliveryView(n.id, handle, n.kind, n.status, n.attempts, n.last_error, n.created_at, n.due_at,
                         n.sent_at, n.provider_status) for n, handle in db.execute(query)]

