"""Answering a page from a phone: a text reply ("4821 ack") or a key pressed on the page's call, and the
delivery status the phone provider reports for each text and call.

A page by SMS or voice carries a short reply code (``Notification.reply_code``). A text reply acts on the
alert of the latest page with that code sent to a person whose contact methods hold the sender's number; a
keypress acts on the alert of the call it was pressed in. Either way the person is the actor, through the same
alert services the web UI and the API use (acknowledge, escalate now, close), so their access is checked the
same way; the alert's timeline says the answer came by phone. A reply handled once (same message or call id)
is answered again without acting again. Takes a session; commits nothing.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import WarroomError
from warroom.live.broker import mark
from warroom.notifications.models import ContactKind, ContactMethod, Notification
from warroom.oncall.alerts import events as alert_events
from warroom.oncall.alerts import privacy
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertEvent, AlertStatus

SMS_PATH = "/integrations/twilio/sms"
KEYPRESS_PATH = "/integrations/twilio/voice"
STATUS_PATH = "/integrations/twilio/status"
PAGE_PARAM = "page"  # the notification's idempotency key, in the keypress and status URLs
REPLY_EVENT = "phone_reply"
STATUS_EVENT = "delivery_status"
BY_PHONE = (ContactKind.sms, ContactKind.voice)
KIND_WORDS = {ContactKind.sms: "SMS", ContactKind.voice: "voice call"}


class Action(enum.StrEnum):
    acknowledge = "acknowledge"
    escalate = "escalate"
    close = "close"


WORDS = {"ack": Action.acknowledge, "acknowledge": Action.acknowledge, "esc": Action.escalate,
         "escalate": Action.escalate, "close": Action.close}
KEYS = {"1": Action.acknowledge, "2": Action.escalate, "3": Action.close}
REPLY_RE = re.compile(r"^\s*(?:(?P<code>\d{4})\s+(?P<word>[a-z]+)|(?P<word2>[a-z]+)\s+(?P<code2>\d{4}))\s*[.!]?\s*$",
                      re.IGNORECASE)
HOW_TO_REPLY = "Reply with the page's code and ack, esc or close, like '4821 ack'."
NOT_A_PERSON = ("This number is not a contact method of anyone in Warroom, so nothing was changed. Add it to your "
                "profile's contact methods, then reply again.")

# Twilio's MessageStatus and CallStatus values, in the order they happen: a late callback never undoes a later one.
STATUS_ORDER = {"accepted": 0, "scheduled": 0, "queued": 0, "initiated": 1, "sending": 1, "ringing": 2, "sent": 2,
                "in-progress": 3, "answered": 3, "delivered": 4, "undelivered": 4, "failed": 4, "completed": 4,
                "busy": 4, "no-answer": 4, "canceled": 4, "read": 5}
NOT_DELIVERED = {"undelivered", "failed", "busy", "no-answer", "canceled"}
STATUS_RE = re.compile(r"^[a-z][a-z-]{0,29}$")


@dataclass(frozen=True)
class Channel:
    """How an answer arrived: words for the timeline and the provider's id for the message or call."""

    words: str  # "SMS" or "voice call"
    sid: str
    said: str  # what was sent: "4821 ack", "pressed 1"


# The page's links ------------------------------------------------------------------------------------------


class PhonePage(Protocol):
    """What a page's links are made from (a notification row, or what the engine read of one)."""

    @property
    def kind(self) -> ContactKind: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def reply_code(self) -> str | None: ...
    @property
    def alert_id(self) -> int | None: ...


def page_links(notification: PhonePage, base_url: str) -> dict[str, str]:
    """What a page by SMS or voice carries beyond the message: its reply code, where a keypress on its call is
    posted and where the provider reports its delivery status (all on Warroom's public base URL)."""
    if notification.kind not in BY_PHONE:
        return {}
    page = quote(notification.idempotency_key, safe="")
    base = base_url.rstrip("/")
    links = {"status_url": f"{base}{STATUS_PATH}?{PAGE_PARAM}={page}"}
    if notification.reply_code and notification.alert_id is not None:
        links["reply_code"] = notification.reply_code
        if notification.kind is ContactKind.voice:
            links["keypress_url"] = f"{base}{KEYPRESS_PATH}?{PAGE_PARAM}={page}"
    return links


# Answers -------------------------------------------------------------------------------------------------------


def answer_text(db: Session, *, sender: str, body: str, sid: str, clock: Clock) -> str:
    """Act on a text reply from ``sender``; returns what to text back."""
    people = _people_at(db, sender.strip())
    if not people:
        return NOT_A_PERSON
    parsed = parse_reply(body)
    if parsed is None:
        return f"Warroom did not understand '{body.strip()[:40]}'. {HOW_TO_REPLY}"
    code, action = parsed
    notification = db.scalar(sa.select(Notification).where(
        Notification.reply_code == code, Notification.user_id.in_(people), Notification.alert_id.is_not(None),
        Notification.kind == ContactKind.sms).order_by(Notification.id.desc()).limit(1))
    if notification is None or notification.alert_id is None:
        return f"No page with code {code} was sent to this number, so nothing was changed. {HOW_TO_REPLY}"
    user = db.get(User, notification.user_id)
    if user is None:
        return NOT_A_PERSON
    return act(db, user=user, alert_id=notification.alert_id, action=action,
               channel=Channel("SMS", sid, " ".join(body.split())), clock=clock)


def parse_reply(body: str) -> tuple[str, Action] | None:
    """``4821 ack`` (or ``ack 4821``): the code and what to do; None when it is neither."""
    match = REPLY_RE.match(body)
    if match is None:
        return None
    word = (match["word"] or match["word2"]).lower()
    action = WORDS.get(word)
    return (match["code"] or match["code2"], action) if action is not None else None


@dataclass(frozen=True)
class Keypress:
    """What a call says after a key: the outcome, or (``again``) that the key was no choice and to press again."""

    text: str
    again: bool = False


def answer_keypress(db: Session, *, page_key: str, digits: str, sid: str, clock: Clock) -> Keypress:
    notification = db.scalar(sa.select(Notification).where(Notification.idempotency_key == page_key))
    if notification is None or notification.kind is not ContactKind.voice or notification.alert_id is None:
        return Keypress("Warroom does not know this call's page; nothing was changed. Goodbye.")
    action = KEYS.get(digits.strip())
    if action is None:
        return Keypress(f"{digits.strip() or 'Nothing'} is not a choice.", again=True)
    user = db.get(User, notification.user_id)
    if user is None:
        return Keypress("Warroom does not know this call's page; nothing was changed. Goodbye.")
    said = f"pressed {digits.strip()}"
    text = act(db, user=user, alert_id=notification.alert_id, action=action,
               channel=Channel("voice call", sid, said), clock=clock)
    return Keypress(f"{text} Goodbye.")


def act(db: Session, *, user: User, alert_id: int, action: Action, channel: Channel, clock: Clock) -> str:
    """Do ``action`` on the alert as ``user``; returns the outcome in words they may read."""
    if not user.is_active:
        return f"@{user.handle} is deactivated in Warroom; nothing was changed."
    actor = Actor(user.id, user.handle, user.access_role, f"twilio:{channel.words}", clock)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    name = _name(db, actor, alert)
    if channel.sid and _handled(db, alert_id, channel.sid):
        return f"That answer was already taken for {name}; nothing more was done."
    before = alert.status
    by = alert.closed_by_label if before is AlertStatus.closed else alert.acknowledged_by_label
    note = f"answered the page by {channel.words}"
    try:
        if action is Action.acknowledge:
            alerts.acknowledge(db=db, actor=actor, alert_id=alert_id, note=note)
        elif action is Action.close:
            alerts.close(db=db, actor=actor, alert_id=alert_id, note=note)
        else:
            alerts.escalate_now(db=db, actor=actor, alert_id=alert_id)
    except WarroomError as error:
        return f"{error.message} Nothing was changed."
    if before is _SAME[action]:
        return f"{name[0].upper()}{name[1:]} was already {before.value}" + (f" by @{by}" if by else "") + "."
    alerts.record_event(db=db, actor=actor, alert_id=alert_id, kind=REPLY_EVENT,
                        body=f"@{user.handle} answered the page by {channel.words} ({channel.said}): {action.value}",
                        channel=channel.words, sid=channel.sid, action=action.value)
    return _DONE[action].format(name=name)


_SAME = {Action.acknowledge: AlertStatus.acknowledged, Action.close: AlertStatus.closed, Action.escalate: None}
_DONE = {Action.acknowledge: "Acknowledged {name}: escalation stopped.",
         Action.escalate: "Escalated {name}: its next step is being paged now.",
         Action.close: "Closed {name}."}


def _name(db: Session, actor: Actor, alert: Alert) -> str:
    """The alert as this person may read it: its words only if they may see its incident."""
    if privacy.may_read(db, actor, alert):
        return f"alert #{alert.id} ({alert.message[:80]})"
    return f"alert #{alert.id} ({privacy.REDACTED_MESSAGE})"


def _people_at(db: Session, number: str) -> list[int]:
    if not number:
        return []
    query = sa.select(ContactMethod.user_id).where(ContactMethod.kind.in_(BY_PHONE), ContactMethod.address == number)
    return sorted(set(db.scalars(query)))


def _handled(db: Session, alert_id: int, sid: str) -> bool:
    found = db.scalars(sa.select(AlertEvent.data).where(AlertEvent.alert_id == alert_id,
                                                        AlertEvent.kind == REPLY_EVENT))
    return any(isinstance(data, dict) and data.get("sid") == sid for data in found)


# Delivery status -----------------------------------------------------------------------------------------------


def record_status(db: Session, *, page_key: str, status: str, sid: str, error_code: str, clock: Clock) -> bool:
    """Record what the provider says became of a text or call; False when no such notification exists.

    Callbacks may arrive out of order: a status earlier in the send's life never replaces a later one. A text
    or call that did not get through says so on the delivery record and on the alert's timeline.
    """
    notification = db.scalar(sa.select(Notification).where(Notification.idempotency_key == page_key)
                             .with_for_update().execution_options(populate_existing=True))
    if notification is None:
        return False
    if STATUS_ORDER.get(status, 0) < STATUS_ORDER.get(notification.provider_status, 0):
        return True
    notification.provider_status = status
    if sid and not notification.provider_reference:
        notification.provider_reference = sid[:64]
    if notification.alert_id is not None:
        mark(db, alert_events.alert_channel(notification.alert_id))  # the alert's open pages show the new status
    if status in NOT_DELIVERED:
        reason = f"Twilio reports the {KIND_WORDS.get(notification.kind, 'send')} {status}" + (
            f" (error {error_code}: https://www.twilio.com/docs/errors/{error_code})" if error_code else "")
        notification.last_error = reason
        if notification.alert_id is not None:
            handle = db.scalar(sa.select(User.handle).where(User.id == notification.user_id))
            alerts.record_event(db=db, actor=Actor.system(clock), alert_id=notification.alert_id,
                                kind=STATUS_EVENT, body=f"{reason}, to @{handle}", notification_id=notification.id,
                                status=status, error_code=error_code)
    return True


def valid_status(status: str) -> bool:
    return bool(STATUS_RE.match(status))
