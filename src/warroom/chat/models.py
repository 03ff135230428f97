"""What Warroom keeps about chat: a room per incident, people links, message links, inbound events seen."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ChatRoom(Base):
    """An incident's room on one platform, and the two messages Warroom keeps updated in place."""

    __tablename__ = "chat_rooms"
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "platform", name="uq_chat_rooms_incident_id_platform"),
        sa.Index("ix_chat_rooms_platform_room_id", "platform", "room_id", unique=True),
    )

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(32))
    room_id: Mapped[str | None] = mapped_column(sa.String(64))
    room_name: Mapped[str] = mapped_column(sa.String(100), default="")
    # Opened private (or closed to newcomers since): a room opened public for an incident that became a private
    # security incident is closed in place, or left for a new private one.
    private: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    topic: Mapped[str] = mapped_column(sa.Text, default="")
    invited: Mapped[list[str]] = mapped_column(default=list)
    summary_message_id: Mapped[str | None] = mapped_column(sa.String(64))
    summary_text: Mapped[str] = mapped_column(sa.Text, default="")
    summary_pinned: Mapped[bool] = mapped_column(default=False)
    announce_room_id: Mapped[str | None] = mapped_column(sa.String(64))
    announcement_message_id: Mapped[str | None] = mapped_column(sa.String(64))
    announcement_text: Mapped[str] = mapped_column(sa.Text, default="")
    final_posted: Mapped[bool] = mapped_column(default=False)
    archived: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # One engine brings a room up to date at a time: set while it does.
    syncing_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ChatPerson(Base):
    """A platform person linked to a Warroom user (found by email, or linked by an admin)."""

    __tablename__ = "chat_people"

    platform: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    linked_by: Mapped[str] = mapped_column(sa.String(16))  # email or manual
    linked_at: Mapped[datetime]


class ChatMessageLink(Base):
    """A chat message that became a timeline entry, so a reaction to it can pin the entry."""

    __tablename__ = "chat_messages"

    platform: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("timeline_entries.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class ChatEvent(Base):
    """An inbound event (or signed request) already handled, so a replay changes nothing."""

    __tablename__ = "chat_events"

    platform: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
