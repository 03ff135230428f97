"""How a notification leaves Warroom: one Sender per contact kind, chosen by settings.

Every sender gets the same OutgoingNotification, whose idempotency id is stable across retries, so
receivers can dedup a send repeated after a crash (Message-ID for mail, webhook-id for webhooks,
I-Twilio-Idempotency-Token for Twilio). A sender raises DeliveryError to fail: retryable unless permanent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from warroom.config import Settings
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.core.outbound import STRICT, OutboundPolicy
from warroom.notifications.models import ContactKind
from warroom.ports import Keypress, Mail, Mailer, Outbound, PhoneCalls, TextMessages, WebhookFactory
from warroom.ports.chat import ChatPlatform

log = logging.getLogger("warroom.notifications")
chat_log = logging.getLogger("warroom.chat")

WEBHOOK_EVENT = "alert.notification"
NO_CHAT = "no chat system is connected; written to the log instead"
KEYPRESS_CHOICES = "Press 1 to acknowledge, 2 to escalate, 3 to close."


@dataclass(frozen=True)
class OutgoingNotification:
    idempotency_id: str
    kind: ContactKind
    address: str
    user_handle: str
    user_name: str
    subject: str
    text: str  # the full plain-text message: alert, its link and the acknowledge link
    alert_id: int | None
    alert_message: str
    alert_priority: str
    alert_url: str
    ack_url: str
    incident_ref: str | None = None
    reply_code: str = ""  # a page by SMS or voice: the code a reply names ("4821 ack")
    keypress_url: str = ""  # a page by voice: where the call's keypress is posted
    status_url: str = ""  # where the provider reports the send's delivery status

    def short_text(self) -> str:
        """For SMS and chat: the subject and the acknowledge link (and, by SMS, how to answer by reply)."""
        text = f"{self.subject}\nAcknowledge: {self.ack_url}\n{self.alert_url}"
        if self.reply_code and self.kind is ContactKind.sms:
            code = self.reply_code
            text += f"\nReply {code} ack / {code} esc / {code} close"
        return text


@dataclass(frozen=True)
class Receipt:
    reference: str = ""  # the provider's id for the send (a Twilio sid), when it gives one
    note: str = ""  # said on the alert's timeline beside "notified", e.g. that mail only went to the log


class Sender(Protocol):
    def send(self, notification: OutgoingNotification) -> Receipt: ...


@dataclass(frozen=True)
class SmtpSender:
    mailer: Mailer
    clock: Clock

    def send(self, notification: OutgoingNotification) -> Receipt:
        headers = {"X-Warroom-Alert": str(notification.alert_id)} if notification.alert_id else {}
        self.mailer.send(Mail(to=notification.address, subject=notification.subject, body=notification.text,
                              idempotency_id=notification.idempotency_id, at=self.clock.now(), headers=headers))
        return Receipt()


@dataclass(frozen=True)
class LogSender:
    """Mail without an SMTP server: the message goes to the log, and the alert says so."""

    note: str = "mail is not configured (set WARROOM_SMTP_HOST); written to the log instead"

    def send(self, notification: OutgoingNotification) -> Receipt:
        log.info("notification %s to %s <%s>: %s\n%s", notification.idempotency_id, notification.user_handle,
                 notification.address, notification.subject, notification.text)
        return Receipt(note=self.note)


@dataclass(frozen=True)
class NotificationWebhookSender:
    """Signed JSON to the person's webhook URL (Standard Webhooks: webhook-id is the idempotency id).

    The URL is the person's own: it goes only to addresses ``policy`` allows, checked at each connection.
    """

    secret: str
    clock: Clock
    webhook: WebhookFactory
    policy: OutboundPolicy = STRICT

    def send(self, notification: OutgoingNotification) -> Receipt:
        now = self.clock.now()
        # The timestamp is the attempt's, not the page's: receivers reject stale signatures.
        self.webhook(notification.address, self.secret, policy=self.policy).send(
            message_id=notification.idempotency_id, payload=webhook_payload(notification, now.isoformat()), at=now)
        return Receipt()


def webhook_payload(notification: OutgoingNotification, timestamp: str) -> dict[str, Any]:
    return {
        "type": WEBHOOK_EVENT,
        "timestamp": timestamp,
        "idempotency_key": notification.idempotency_id,
        "user": {"handle": notification.user_handle, "name": notification.user_name},
        "subject": notification.subject,
        "text": notification.text,
        "alert": {"id": notification.alert_id, "message": notification.alert_message,
                  "priority": notification.alert_priority, "url": notification.alert_url,
                  "ack_url": notification.ack_url},
        "incident": notification.incident_ref,
    }


@dataclass(frozen=True)
class ChatSender:
    """A plain direct message on a chat platform (a workspace's pages with buttons are chat.pages')."""

    platform: ChatPlatform

    def send(self, notification: OutgoingNotification) -> Receipt:
        self.platform.send_dm(person_id=notification.address, text=notification.short_text())
        return Receipt()


@dataclass(frozen=True)
class LogChatSender:
    """Chat without a connected platform: the message goes to the log, and the alert says so."""

    def send(self, notification: OutgoingNotification) -> Receipt:
        chat_log.info("chat DM to %s (no chat platform is connected): %s", notification.address,
                      notification.short_text())
        return Receipt(note=NO_CHAT)


@dataclass(frozen=True)
class SmsSender:
    messages: TextMessages

    def send(self, notification: OutgoingNotification) -> Receipt:
        sid = self.messages.send_sms(to=notification.address, body=notification.short_text(),
                                   idempotency_id=notification.idempotency_id, status_callback=notification.status_url)
        return Receipt(reference=sid)


@dataclass(frozen=True)
class VoiceSender:
    calls: PhoneCalls

    def send(self, notification: OutgoingNotification) -> Receipt:
        say = f"Warroom alert, priority {notification.alert_priority}. {notification.alert_message}. "
        keypress = None
        if notification.reply_code and notification.keypress_url:
            keypress = Keypress(say + KEYPRESS_CHOICES, notification.keypress_url)
        sid = self.calls.call(to=notification.address, say=say + "Acknowledge it in Warroom.", keypress=keypress,
                              idempotency_id=notification.idempotency_id, status_callback=notification.status_url)
        return Receipt(reference=sid)


@dataclass(frozen=True)
class NotConfigured:
    """A contact kind this install cannot reach: fail at once, with what to set."""

    reason: str

    def send(self, notification: OutgoingNotification) -> Receipt:
        raise DeliveryError(self.reason, permanent=True)


@dataclass(frozen=True)
class SenderRegistry:
    senders: dict[ContactKind, Sender]

    def sender_for(self, kind: ContactKind) -> Sender:
        return self.senders.get(kind) or NotConfigured(f"Warroom cannot send {kind.value} notifications.")


def build_senders(settings: Settings, *, secret_key: str, clock: Clock, effects: Outbound,
                  chat: ChatPlatform | None = None, outbound: OutboundPolicy | None = None) -> SenderRegistry:
    """The senders this install's settings allow; the rest fail with a reason saying what to configure.

    Mail and webhooks go through ``effects`` (mail to the log without a mailer); webhooks only to addresses
    ``outbound`` allows (by default, what WARROOM_OUTBOUND_ALLOW says).
    """
    email: Sender = LogSender() if effects.mailer is None else SmtpSender(effects.mailer, clock)
    sms: Sender = NotConfigured("SMS is not configured (set WARROOM_TWILIO_*)")
    voice: Sender = NotConfigured("Voice calls are not configured (set WARROOM_TWILIO_*)")
    if effects.sms is not None:
        sms = SmsSender(effects.sms)
    if effects.calls is not None:
        voice = VoiceSender(effects.calls)
    return SenderRegistry({
        ContactKind.email: email,
        ContactKind.webhook: NotificationWebhookSender(settings.notification_webhook_secret or secret_key, clock,
                                                       effects.webhook,
                                                       outbound or OutboundPolicy.parse(settings.outbound_allow)),
        ContactKind.chat: ChatSender(chat) if chat is not None else LogChatSender(),
        ContactKind.sms: sms,
        ContactKind.voice: voice,
    })
