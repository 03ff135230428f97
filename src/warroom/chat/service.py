"""Rooms, people links, message links and seen events. Takes a session; commits nothing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.chat.models import ChatEvent, ChatMessageLink, ChatPerson, ChatRoom
from warroom.core.actor import Actor
from warroom.core.errors import ValidationFailed

MAX_ID = 64


def room_of_incident(*, db: Session, platform: str, incident_id: int) -> ChatRoom | None:
    return db.scalar(sa.select(ChatRoom).where(ChatRoom.platform == platform, ChatRoom.incident_id == incident_id))


def incident_of_room(*, db: Session, platform: str, room_id: str) -> int | None:
    """The incident whose room this is, or None for any other room."""
    return db.scalar(sa.select(ChatRoom.incident_id).where(ChatRoom.platform == platform,
                                                           ChatRoom.room_id == room_id))


def ensure_room(*, db: Session, platform: str, incident_id: int, now: datetime) -> ChatRoom:
    room = room_of_incident(db=db, platform=platform, incident_id=incident_id)
    if room is not None:
        return room
    try:
        with db.begin_nested():
            room = ChatRoom(incident_id=incident_id, platform=platform, created_at=now, updated_at=now,
                            invited=[])
            db.add(room)
    except IntegrityError:
        room = room_of_incident(db=db, platform=platform, incident_id=incident_id)
        assert room is not None
    return room


# People ------------------------------------------------------------------------------------------------


def linked_user(*, db: Session, platform: str, person_id: str) -> User | None:
    """The active Warroom user linked to this platform person, if any."""
    user = db.scalar(sa.select(User).join(ChatPerson, ChatPerson.user_id == User.id)
                     .where(ChatPerson.platform == platform, ChatPerson.person_id == person_id))
    return user if user is not None and user.is_active else None


def person_of_user(*, db: Session, platform: str, user_id: int) -> str | None:
    return db.scalar(sa.select(ChatPerson.person_id).where(ChatPerson.platform == platform,
                                                           ChatPerson.user_id == user_id)
                     .order_by(ChatPerson.linked_at.desc()).limit(1))


def user_by_email(*, db: Session, email: str) -> User | None:
    user = db.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    return user if user is not None and user.is_active else None


def link_person(*, db: Session, platform: str, person_id: str, user: User, linked_by: str, now: datetime,
                actor: Actor | None = None) -> ChatPerson:
    """Link (or re-link) a platform person to a Warroom user."""
    person_id = person_id.strip()
    if not person_id or len(person_id) > MAX_ID:
        raise ValidationFailed(f"A {platform} user id is 1 to {MAX_ID} characters (like U012AB3CD).",
                               field="person")
    link = db.get(ChatPerson, (platform, person_id))
    if link is None:
        link = ChatPerson(platform=platform, person_id=person_id, user_id=user.id, linked_by=linked_by,
                          linked_at=now)
        db.add(link)
    else:
        link.user_id = user.id
        link.linked_by = linked_by
        link.linked_at = now
    if actor is not None:
        audit.record(db=db, actor=actor, action="chat.link_person", target_type="user", target_id=user.handle,
                     platform=platform, person=person_id)
    return link


def link_by_handle(*, db: Session, actor: Actor, platform: str, person_id: str, who: str) -> ChatPerson:
    """An admin links a platform person whose email differs from their Warroom one."""
    actor.require(AccessRole.admin)
    user = accounts.find_person(db=db, who=who)
    return link_person(db=db, platform=platform, person_id=person_id, user=user, linked_by="manual",
                       now=actor.clock.now(), actor=actor)


# Messages and events -----------------------------------------------------------------------------------


def link_message(*, db: Session, platform: str, room_id: str, message_id: str, incident_id: int,
                 entry_id: int, now: datetime) -> None:
    """Remember which entry a chat message became; an edit moves the link to its newer entry."""
    link = db.get(ChatMessageLink, (platform, room_id, message_id))
    if link is None:
        db.add(ChatMessageLink(platform=platform, room_id=room_id, message_id=message_id,
                               incident_id=incident_id, entry_id=entry_id, created_at=now))
    else:
        link.entry_id = entry_id


def entry_of_message(*, db: Session, platform: str, room_id: str, message_id: str) -> int | None:
    link = db.get(ChatMessageLink, (platform, room_id, message_id))
    return link.entry_id if link is not None else None


def first_sight(*, db: Session, platform: str, event_id: str, now: datetime) -> bool:
    """Record an inbound event id; False when it was seen before (a retry or a replay)."""
    try:
        with db.begin_nested():
            db.add(ChatEvent(platform=platform, event_id=event_id[:100], received_at=now))
    except IntegrityError:
        return False
    return True


def forget_events(*, db: Session, before: datetime) -> int:
    """Seen events older than the replay window are no longer needed."""
    result = db.execute(sa.delete(ChatEvent).where(ChatEvent.received_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
