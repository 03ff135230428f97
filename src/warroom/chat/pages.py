"""Pages as direct messages with Acknowledge / Escalate / Close buttons, and what pressing one does.

The page is the notification sender for chat contact methods. A button acts on the alert as the person who
pressed it (the same alert service as every other transport), and the message is then edited to say who did
what; the edit is an engine job queued with the change, so a slow or rate-limited platform delays it only.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.chat import service as chat
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.core.errors import NotFound, WarroomError
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder
from warroom.notifications.models import ContactKind
from warroom.notifications.senders import OutgoingNotification, Receipt, SenderRegistry
from warroom.oncall.alerts import queries
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertStatus
from warroom.ports.chat import Action, ButtonPressed, ChatPlatform, KnowsMemberIds, PlatformFactory

ACKNOWLEDGE, ESCALATE, CLOSE = "alert_acknowledge", "alert_escalate", "alert_close"
PAGE_ACTIONS = (ACKNOWLEDGE, ESCALATE, CLOSE)
MESSAGE_UPDATE_JOB = "chat_message_update"


def is_member_id(platform: ChatPlatform, address: str) -> bool:
    """Whether the address is the platform's own id of a person (Slack: U…, Matrix: @bob:example.org), as
    opposed to a Warroom @handle; the platform's adapter knows."""
    return isinstance(platform, KnowsMemberIds) and platform.is_member_id(address)


def page_actions(alert_id: int) -> list[Action]:
    value = str(alert_id)
    return [Action(ACKNOWLEDGE, "Acknowledge", value, "primary"), Action(ESCALATE, "Escalate", value),
            Action(CLOSE, "Close", value, "danger")]


def page_text(notification: OutgoingNotification) -> str:
    return f"*{notification.subject}*\n<{notification.alert_url}|Open the alert in Warroom>"


@dataclass(frozen=True)
class ChatPageSender:
    """Sends a page to the person's chat account, with buttons that act on the alert."""

    platform: ChatPlatform
    database: Database
    clock: Clock

    def send(self, notification: OutgoingNotification) -> Receipt:
        person = self._person(notification)
        actions = page_actions(notification.alert_id) if notification.alert_id else []
        posted = self.platform.send_dm(person_id=person, text=page_text(notification), actions=actions)
        return Receipt(reference=f"{posted.room_id}/{posted.message_id}")

    def _person(self, notification: OutgoingNotification) -> str:
        address = notification.address.strip()
        if is_member_id(self.platform, address):
            return address
        with self.database.reading() as db:
            user = db.scalar(sa.select(User).where(User.handle == notification.user_handle))
            if user is None:
                raise DeliveryError(f"@{notification.user_handle} is no longer in Warroom.", permanent=True)
            known = chat.person_of_user(db=db, platform=self.platform.name, user_id=user.id)
            user_id, email = user.id, user.email
        if known is not None:
            return known
        person = self.platform.find_person(email=email)
        if person is None:
            raise DeliveryError(f"No {self.platform.name} account has the email {email}; link @"
                                f"{notification.user_handle} with `warroom {self.platform.name} link <member id> "
                                f"{notification.user_handle}`.", permanent=True)
        with self.database.writing() as db:
            found = db.get(User, user_id)
            if found is not None:
                chat.link_person(db=db, platform=self.platform.name, person_id=person, user=found,
                                 linked_by="email", now=self.clock.now())
        return person


@dataclass(frozen=True)
class AnyChat:
    """Several platforms: an address that is a later one's member id goes there, any other (a @handle, or the
    first one's member id) to the first."""

    first: ChatPageSender
    others: tuple[ChatPageSender, ...]

    def send(self, notification: OutgoingNotification) -> Receipt:
        address = notification.address.strip()
        chosen = next((sender for sender in self.others if is_member_id(sender.platform, address)), self.first)
        return chosen.send(notification)


def with_chat_pages(senders: SenderRegistry, platform: ChatPlatform, database: Database,
                    clock: Clock) -> SenderRegistry:
    """The senders, with chat contact methods reached on this platform (or, by address, on one added before)."""
    sender = ChatPageSender(platform, database, clock)
    earlier = senders.senders.get(ContactKind.chat)
    if isinstance(earlier, ChatPageSender):
        return SenderRegistry({**senders.senders, ContactKind.chat: AnyChat(earlier, (sender,))})
    if isinstance(earlier, AnyChat):
        return SenderRegistry({**senders.senders, ContactKind.chat: AnyChat(earlier.first, (*earlier.others, sender))})
    return SenderRegistry({**senders.senders, ContactKind.chat: sender})


@dataclass(frozen=True)
class Pressed:
    line: str  # what happened, in a line
    acted: bool  # False: the alert was left as it was, and ``line`` says why


def press(*, db: Session, actor: Actor, event: ButtonPressed, message_text: str, platform: str = "") -> Pressed:
    """Act on the alert for a page's button; queue the message's edit."""
    try:
        alert_id = int(event.value)
    except ValueError:
        return Pressed(f"'{event.value}' is not an alert number.", acted=False)
    acted = True
    try:
        with db.begin_nested():
            if event.action == ACKNOWLEDGE:
                alert = alerts.acknowledge(db=db, actor=actor, alert_id=alert_id)
                line = f"✅ Acknowledged by @{actor.handle}"
            elif event.action == ESCALATE:
                alert = alerts.escalate_now(db=db, actor=actor, alert_id=alert_id)
                line = f"⏫ Escalated by @{actor.handle}"
            else:
                alert = alerts.close(db=db, actor=actor, alert_id=alert_id)
                line = f"☑️ Closed by @{actor.handle}"
        still_open = alert.status is AlertStatus.open
    except WarroomError as error:
        acted = False
        line = f"⚠️ @{actor.handle}: {error.message}"
        still_open = _still_open(db, actor, alert_id)
    if event.room_id and event.message_id:
        queue.enqueue(db=db, kind=MESSAGE_UPDATE_JOB, due_at=actor.clock.now(),
                      idempotency_key=f"chat-edit-{secrets.token_hex(16)}",
                      payload={"room_id": event.room_id, "message_id": event.message_id,
                               "text": f"{message_text}\n{line}", "alert_id": alert_id if still_open else None,
                               **({"platform": platform} if platform else {})})
    return Pressed(line, acted)


def _still_open(db: Session, actor: Actor, alert_id: int) -> bool:
    """After a press that could not act: whether the alert, as this person may read it, is open (the page keeps
    its buttons then, and while no alert has the number)."""
    try:
        alert = alerts.find_alert(db=db, identifier=str(alert_id))
    except NotFound:
        return True
    return queries.readable(db=db, actor=actor, alert=alert).alert.status is AlertStatus.open


def make_update_handler(platform: PlatformFactory, others: Mapping[str, PlatformFactory] | None = None) -> Handler:
    def handle(db: Session, job: Job) -> Recorder | None:
        adapter = (others or {}).get(str(job.payload.get("platform", "")), platform)()
        if adapter is None:
            return None
        alert_id = job.payload.get("alert_id")
        actions = page_actions(int(alert_id)) if alert_id else []
        adapter.update_message(room_id=str(job.payload["room_id"]), message_id=str(job.payload["message_id"]),
                               text=str(job.payload["text"]), actions=actions)
        return None

    return handle
