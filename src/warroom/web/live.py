"""Live updates over Server-Sent Events: the room's new entries and the announcements feed.

A stream waits on the broker (woken right after a commit in this process) and, failing that,
re-reads the database every couple of seconds, so changes committed by another process show up
too. Database reads and rendering run in worker threads; the event loop only waits and writes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import DBAPIError
from starlette.types import Receive, Scope, Send

from warroom.announcements import service as announcements
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import is_count
from warroom.core.errors import NotAuthenticated
from warroom.db import faults
from warroom.incidents import queries as incident_queries
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.live.broker import ANNOUNCEMENTS, broker, incident_channel
from warroom.runtime import Runtime
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind
from warroom.web.auth import can_act, principal_in
from warroom.web.templating import render

POLL_SECONDS = 2.0  # the fallback re-read, for changes committed by other processes
KEEPALIVE_SECONDS = 15.0  # a comment line so proxies keep the connection open
STREAM_SECONDS = 30 * 60  # then the browser reconnects (and its session is checked again); at shutdown, at once
BATCH = 200
RETRY_MS = 3000

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Event:
    id: int | None
    name: str
    data: str

    def encode(self) -> str:
        lines = [f"event: {self.name}"]
        if self.id is not None:
            lines.append(f"id: {self.id}")
        lines += [f"data: {line}" for line in (self.data.splitlines() or [""])]
        return "\n".join(lines) + "\n\n"


Reader = Callable[[int], tuple[list[Event], int]]  # events after an id, and the new last id


class StreamEnded(Exception):
    """Raised by a reader when the follower may no longer see what it streams (an incident made private)."""


def start_id(request: Request) -> int | None:
    """Where a (re)connecting client left off: Last-Event-ID, else ?after=."""
    for value in (request.headers.get("last-event-id", ""), request.query_params.get("after", "")):
        if is_count(value.strip()):
            return int(value.strip())
    return None


async def stream(request: Request, channel: str, after: int, read: Reader) -> AsyncIterator[str]:
    waker = broker.subscribe(channel)
    started = last_write = time.monotonic()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        while not broker.closing:
            waker.clear()  # before reading: a commit during the read wakes the next wait at once
            try:
                events, after = await anyio.to_thread.run_sync(read, after)
            except StreamEnded:
                return
            except DBAPIError as error:
                if not faults.is_outage(error):
                    raise
                faults.outages.failed(error, "live stream")
                return  # the browser reconnects in RETRY_MS, and is answered 503 until the store is back
            if events:
                yield "".join(event.encode() for event in events)
                last_write = time.monotonic()
                continue
            if await request.is_disconnected() or time.monotonic() - started > STREAM_SECONDS:
                return
            with anyio.move_on_after(POLL_SECONDS):
                await waker.wait()
            if broker.closing:  # the server is stopping: end, and the browser reconnects to the next one
                return
            if time.monotonic() - last_write >= KEEPALIVE_SECONDS:
                yield ": keep-alive\n\n"
                last_write = time.monotonic()
    finally:
        broker.unsubscribe(channel, waker)


class EventStreamResponse(StreamingResponse):
    """A stream that ends its body when the response ends, however it ends.

    A client that leaves while an event waits to be written cancels the response at the body's
    ``yield``; the generator would then unsubscribe only when it is collected, which may be much
    later. Closing it here unsubscribes at once.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await close()


def event_stream(body: AsyncIterator[str]) -> StreamingResponse:
    return EventStreamResponse(body, media_type="text/event-stream",
                               headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _signed_in(runtime: Runtime, request: Request) -> Principal:
    with runtime.database.reading() as db:
        principal = principal_in(db, runtime, request)
    if principal is None:
        raise NotAuthenticated("Sign in to follow this room.")
    return principal


# The room --------------------------------------------------------------------------------------------


def room_reader(runtime: Runtime, principal: Principal, ref: str) -> tuple[Reader, int, int]:
    """Read the incident once (404 if missing); return a reader of its new entries as HTML."""
    with runtime.database.reading() as db:
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        latest = timeline.list_entries(db=db, incident_id=incident.id, limit=1)
    incident_id, newest = incident.id, (latest[-1].id if latest else 0)

    def read(after: int) -> tuple[list[Event], int]:
        with runtime.database.reading() as db:
            entries = timeline.list_entries(db=db, incident_id=incident_id, after_id=after, limit=BATCH)
            if not entries:
                return [], after
            current = incidents.get_incident(db=db, ref=incident_id)
            if not visibility.can_see(db=db, actor=principal.actor, incident=current):
                raise StreamEnded
            acting = can_act(principal) and not current.is_archived
            events = [Event(e.id, "entry", render("_entry.html", entry=e, incident=current, principal=principal,
                                                  can_act=acting)) for e in entries]
            # A pin changes an earlier entry too: send it again, re-rendered.
            for entry in entries:
                target = entry.data.get("entry_id") if entry.kind is EntryKind.pinned else None
                if isinstance(target, int):
                    found = timeline.list_entries(db=db, incident_id=incident_id, after_id=target - 1, limit=1)
                    if found and found[0].id == target:
                        events.append(Event(None, "replace", render(
                            "_entry.html", entry=found[0], incident=current, principal=principal, can_act=acting)))
        events.append(Event(None, "panel", str(entries[-1].id)))
        return events, entries[-1].id

    return read, incident_id, newest


@router.get("/incidents/{ref}/events")
async def room_events(request: Request, ref: str, runtime: Runtime = Depends(get_runtime)) -> StreamingResponse:
    principal = await anyio.to_thread.run_sync(_signed_in, runtime, request)
    read, incident_id, newest = await anyio.to_thread.run_sync(room_reader, runtime, principal, ref)
    after = start_id(request)
    return event_stream(stream(request, incident_channel(incident_id), newest if after is None else after, read))


# Announcements ---------------------------------------------------------------------------------------


def announcement_reader(runtime: Runtime, principal: Principal) -> tuple[Reader, int]:
    with runtime.database.reading() as db:
        latest = announcements.list_announcements(db=db, limit=1)
    newest = latest[0].id if latest else 0

    def read(after: int) -> tuple[list[Event], int]:
        with runtime.database.reading() as db:
            # The newest page, oldest first; a burst of more than a page between reads shows on reload.
            # Read as this follower may see it: a private incident's lines come redacted.
            fresh = [a for a in announcements.feed(db=db, viewer=principal.actor, limit=BATCH) if a.id > after]
        fresh.reverse()
        if not fresh:
            return [], after
        return [Event(a.id, "announcement", render("_announcement.html", item=a)) for a in fresh], fresh[-1].id

    return read, newest


@router.get("/announcements/events")
async def announcement_events(request: Request, runtime: Runtime = Depends(get_runtime)) -> StreamingResponse:
    principal = await anyio.to_thread.run_sync(_signed_in, runtime, request)
    read, newest = await anyio.to_thread.run_sync(announcement_reader, runtime, principal)
    after = start_id(request)
    return event_stream(stream(request, ANNOUNCEMENTS, newest if after is None else after, read))
