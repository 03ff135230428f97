"""How people are reached, and the record of every notification sent to them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ContactKind(enum.StrEnum):
    email = "email"
    webhook = "webhook"
    chat = "chat"  # a direct message through the chat adapter
    sms = "sms"
    voice = "voice"


class ContactMethod(Base):
    __tablename__ = "contact_methods"

    id: Mapped[int] = int_pk()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind]
    address: Mapped[str] = mapped_column(sa.String(1000))
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime]


class NotificationRule(Base):
    """Reach this person on this contact method, this many minutes after a page if still unacknowledged."""

    __tablename__ = "notification_rules"

    id: Mapped[int] = int_pk()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    contact_method_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_methods.id", ondelete="CASCADE"))
    delay_minutes: Mapped[int] = mapped_column(default=0)


class DeliveryStatus(enum.StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"
    cancelled = "cancelled"  # the alert was acknowledged before this rule's delay ran out


class Notification(Base):
    """One message to one person on one contact method: the delivery record shown on the alert."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_alert_id_id", "alert_id", "id"),
                      sa.Index("ix_notifications_reply_code_user_id", "reply_code", "user_id"))

    id: Mapped[int] = int_pk()
    alert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("alerts.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incidents.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    contact_method_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact_methods.id", ondelete="SET NULL"))
    kind: Mapped[ContactKind]
    subject: Mapped[str] = mapped_column(sa.String(300))
    # The message itself when it is not about an alert (a follow-up reminder); empty for pages.
    body: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[DeliveryStatus] = mapped_column(default=DeliveryStatus.queued)
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A page by SMS or voice: the short code a reply names ("4821 ack"); the same for all of one page's texts.
    reply_code: Mapped[str | None] = mapped_column(sa.String(8))
    # The provider's id for the send (a Twilio sid) and the last status its callbacks reported (delivered...).
    provider_reference: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    provider_status: Mapped[str] = mapped_column(sa.String(30), default="", server_default="")
