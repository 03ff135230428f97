"""Bring an incident's chat room and messages up to date, as an engine job.

Every announcement (declare, status, severity, lead, resolve, close), and every change the room shows without
an announcement (title, summary, messenger, security flag), queues one ``chat_sync`` job for its incident. The
job compares what the platform shows (recorded in ``chat_rooms``) with what it should show and makes the
missing calls, recording each one's result at once: a rate limit or an outage halfway through leaves the job
to retry from where it stopped, so nothing is created or posted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.announcements.sinks import AnnouncementMessage
from warroom.chat import rendering
from warroom.chat import service as chat
from warroom.chat.models import ChatRoom
from warroom.core.clock import Clock
from warroom.core.delivery import DeliveryError
from warroom.db.engine import Database
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.engine.registry import ChatWorkspace
from warroom.engine.runner import Handler, Manager, Recorder
from warroom.incidents.models import Incident
from warroom.incidents.service import parse_ref
from warroom.ports.chat import ChatPlatform, PlatformFactory, RoomNameTaken
from warroom.roles import service as roles
from warroom.roles.models import LEAD

log = logging.getLogger("warroom.chat")

CHAT_SYNC_JOB = "chat_sync"
SYNC_LEASE = timedelta(minutes=2)
BUSY_RETRY_SECONDS = 2.0
# Inbound event ids are kept this long: well past Slack's retries (an hour) and the 5-minute signature window.
EVENT_MEMORY = timedelta(days=1)


def enqueue_sync(*, db: Session, incident_id: int, key: str, now: datetime, platform: str = "") -> None:
    """Queue a sync of the incident's room (once per key), on the named platform (default: the first one)."""
    if db.scalar(sa.select(Job.id).where(Job.idempotency_key == key)) is not None:
        return
    payload: dict[str, Any] = {"incident_id": incident_id}
    if platform:
        payload["platform"] = platform
    queue.enqueue(db=db, kind=CHAT_SYNC_JOB, payload=payload, idempotency_key=key, due_at=now, max_attempts=12)


@dataclass
class ChatSink:
    """The announcement sink for a chat platform: each announcement queues a sync of its incident's room."""

    database: Database
    platform_name: str
    name: str = "chat"

    def post(self, message: AnnouncementMessage, now: datetime) -> None:
        self._sync(parse_ref(message.incident_ref), f"chat-{self.platform_name}-{message.id}", now)

    def refresh(self, incident_id: int, key: str, now: datetime) -> None:
        """A change that is no announcement (title, summary, messenger, security) still shows in the room."""
        self._sync(incident_id, f"chat-{self.platform_name}-{key}", now)

    def _sync(self, incident_id: int, key: str, now: datetime) -> None:
        try:
            with self.database.writing() as db:
                enqueue_sync(db=db, incident_id=incident_id, key=key, now=now, platform=self.platform_name)
        except IntegrityError:
            pass  # queued meanwhile by another delivery of the same change


@dataclass(frozen=True)
class Desired:
    """What the room should look like now."""

    view: rendering.IncidentView
    people: list[str]  # platform ids of the reporter and lead, where linked
    unlinked: list[tuple[int, str]]  # (user id, email) of those not linked yet


def _desired(db: Session, platform: str, incident: Incident, base_url: str) -> Desired:
    view = rendering.load_view(db=db, incident=incident, base_url=base_url)
    user_ids = [incident.reporter_id]
    lead = roles.current(db=db, incident_id=incident.id, role=LEAD)
    if lead is not None:
        user_ids.append(lead.user_id)
    people: list[str] = []
    unlinked: list[tuple[int, str]] = []
    for user_id in dict.fromkeys(u for u in user_ids if u is not None):
        person = chat.person_of_user(db=db, platform=platform, user_id=user_id)
        if person is not None:
            people.append(person)
        else:
            found = db.get(User, user_id)
            if found is not None and found.is_active:
                unlinked.append((found.id, found.email))
    return Desired(view, people, unlinked)


@dataclass
class RoomSync:
    database: Database
    platform: ChatPlatform
    clock: Clock
    base_url: str
    announce_room: str

    def run(self, incident_id: int) -> None:
        claimed = self._claim(incident_id)
        if claimed is None:
            return
        room_pk, desired = claimed
        error = ""
        try:
            self._bring_up_to_date(room_pk, desired)
        except DeliveryError as failure:
            error = str(failure)
            raise
        finally:
            self._save(room_pk, syncing_until=None, last_error=error)

    def _claim(self, incident_id: int) -> tuple[int, Desired] | None:
        now = self.clock.now()
        with self.database.writing() as db:
            incident = db.get(Incident, incident_id)
            if incident is None:
                return None
            room = chat.ensure_room(db=db, platform=self.platform.name, incident_id=incident_id, now=now)
            db.flush()
            taken = db.execute(sa.update(ChatRoom).where(
                ChatRoom.id == room.id,
                sa.or_(ChatRoom.syncing_until.is_(None), ChatRoom.syncing_until <= now))
                .values(syncing_until=now + SYNC_LEASE).execution_options(synchronize_session=False))
            if not getattr(taken, "rowcount", 0):
                raise DeliveryError(f"{incident.ref}'s room is being updated by another job; trying again.",
                                    retry_after=BUSY_RETRY_SECONDS)
            return room.id, _desired(db, self.platform.name, incident, self.base_url)

    def _room(self, room_pk: int) -> ChatRoom:
        with self.database.reading() as db:
            room = db.get(ChatRoom, room_pk)
            assert room is not None
            db.expunge(room)
            return room

    def _save(self, room_pk: int, **values: Any) -> None:
        with self.database.writing() as db:
            db.execute(sa.update(ChatRoom).where(ChatRoom.id == room_pk)
                       .values(updated_at=self.clock.now(), **values)
                       .execution_options(synchronize_session=False))

    def _bring_up_to_date(self, room_pk: int, desired: Desired) -> None:
        view = desired.view
        room = self._room(room_pk)
        if room.archived:
            return
        if view.private and room.room_id is not None and not room.private:
            self._make_private(room)
        room_id = self._open_room(room, view)
        self._invite(room, room_id, desired)
        self._set_topic(room, room_id, view)
        self._summary(room, room_id, view)
        self._announcement(room, room_id, view)
        if view.closed:
            self._close(room, room_id, view)

    def _make_private(self, room: ChatRoom) -> None:
        """The incident became a private security incident while its room is public: the room is closed in place
        where the platform can; else a note goes to it, it is archived, and the incident gets a new private room
        (its summary, topic and invitations made afresh by the rest of the sync)."""
        assert room.room_id is not None
        if self.platform.restrict_room(room_id=room.room_id):
            room.private = True
            self._save(room.id, private=True)
            return
        if not room.final_posted:  # the note, once, even when archiving is retried
            self.platform.post_message(room_id=room.room_id, text=rendering.MOVED_TO_PRIVATE)
            room.final_posted = True
            self._save(room.id, final_posted=True)
        self.platform.archive_room(room_id=room.room_id)
        fresh: dict[str, Any] = {"room_id": None, "room_name": "", "topic": "", "invited": [],
                                 "summary_message_id": None, "summary_text": "", "summary_pinned": False,
                                 "final_posted": False}
        for name, value in fresh.items():
            setattr(room, name, value)
        self._save(room.id, **fresh)

    def _open_room(self, room: ChatRoom, view: rendering.IncidentView) -> str:
        """Create the room, or rename it to what the incident is called now. A name someone else has taken
        is tried once more with a suffix (``inc-12-search-down-2``), and the name it got is kept."""
        name = rendering.room_name(view)
        other = rendering.second_name(name)
        if room.room_id is None:
            try:
                created = self.platform.create_room(name=name, private=view.private)
            except RoomNameTaken:
                log.info("%s room name %s is taken; creating %s", self.platform.name, name, other)
                created = self.platform.create_room(name=other, private=view.private)
            self._save(room.id, room_id=created.id, room_name=created.name, private=view.private)
            room.room_id, room.room_name, room.private = created.id, created.name, view.private
        elif room.room_name not in (name, other):
            try:
                self.platform.rename_room(room_id=room.room_id, name=name)
            except RoomNameTaken:
                log.info("%s room name %s is taken; renaming to %s", self.platform.name, name, other)
                self.platform.rename_room(room_id=room.room_id, name=other)
                name = other
            self._save(room.id, room_name=name)
        assert room.room_id is not None
        return room.room_id

    def _invite(self, room: ChatRoom, room_id: str, desired: Desired) -> None:
        people = list(desired.people)
        for user_id, email in desired.unlinked:
            person = self.platform.find_person(email=email)
            if person is not None:
                self._link(person, user_id)
                people.append(person)
        missing = [p for p in people if p not in room.invited]
        if missing:
            self.platform.invite(room_id=room_id, people=missing)
            room.invited = [*room.invited, *missing]
            self._save(room.id, invited=room.invited)

    def _link(self, person: str, user_id: int) -> None:
        with self.database.writing() as db:
            user = db.get(User, user_id)
            if user is not None and chat.linked_user(db=db, platform=self.platform.name, person_id=person) is None:
                chat.link_person(db=db, platform=self.platform.name, person_id=person, user=user,
                                 linked_by="email", now=self.clock.now())

    def _set_topic(self, room: ChatRoom, room_id: str, view: rendering.IncidentView) -> None:
        wanted = rendering.topic(view)
        if room.topic != wanted:
            self.platform.set_topic(room_id=room_id, topic=wanted)
            self._save(room.id, topic=wanted)

    def _summary(self, room: ChatRoom, room_id: str, view: rendering.IncidentView) -> None:
        text = rendering.summary_message(view)
        if room.summary_message_id is None:
            room.summary_message_id = self.platform.post_message(room_id=room_id, text=text).message_id
            self._save(room.id, summary_message_id=room.summary_message_id, summary_text=text)
        elif room.summary_text != text:
            self.platform.update_message(room_id=room_id, message_id=room.summary_message_id, text=text)
            self._save(room.id, summary_text=text)
        if not room.summary_pinned:
            self.platform.pin_message(room_id=room_id, message_id=room.summary_message_id)
            self._save(room.id, summary_pinned=True)

    def _announcement(self, room: ChatRoom, room_id: str, view: rendering.IncidentView) -> None:
        channel = room.announce_room_id or self.announce_room
        if not channel:
            return
        text = rendering.announcement_message(view, room_id)
        if room.announcement_message_id is None:
            posted = self.platform.post_message(room_id=channel, text=text)
            self._save(room.id, announce_room_id=posted.room_id, announcement_message_id=posted.message_id,
                       announcement_text=text)
        elif room.announcement_text != text:
            self.platform.update_message(room_id=channel, message_id=room.announcement_message_id, text=text)
            self._save(room.id, announcement_text=text)

    def _close(self, room: ChatRoom, room_id: str, view: rendering.IncidentView) -> None:
        if not room.final_posted:
            self.platform.post_message(room_id=room_id, text=rendering.final_message(view))
            self._save(room.id, final_posted=True)
        self.platform.archive_room(room_id=room_id)
        self._save(room.id, archived=True)


def make_event_pruner(every: timedelta = timedelta(hours=1)) -> Manager:
    """An engine manager: forgets inbound event ids older than EVENT_MEMORY, once an hour."""
    last: list[datetime] = []

    def prune(database: Database, now: datetime) -> None:
        if last and now - last[0] < every:
            return
        last[:] = [now]
        with database.writing() as db:
            chat.forget_events(db=db, before=now - EVENT_MEMORY)

    return prune


def make_handler(database: Database, platform: PlatformFactory, clock: Clock, base_url: str,
                 announce_room: str, others: Mapping[str, ChatWorkspace] | None = None) -> Handler:
    def handle(db: Session, job: Job) -> Recorder | None:
        other = (others or {}).get(str(job.payload.get("platform", "")))
        adapter = other.platform() if other is not None else platform()
        if adapter is None:
            return None  # the platform was switched off since: nothing to bring up to date
        room = other.announce_room if other is not None else announce_room
        RoomSync(database, adapter, clock, base_url, room).run(int(job.payload["incident_id"]))
        return None

    return handle
