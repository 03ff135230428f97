"""The incident room: its timeline (paged by entry id), messages, and key-event pins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, apply_flow, problems
from warroom.core.bounds import Count, RowId
from warroom.incidents import flows
from warroom.incidents import queries as incident_queries
from warroom.incidents.schemas import EntryOut, MessageIn, OutcomeOut, TimelinePage
from warroom.runtime import Runtime
from warroom.timeline import service as timeline
from warroom.timeline.service import EntryView

router = APIRouter(tags=["room"], route_class=JsonBodyRoute)


@router.get("/incidents/{ref}/timeline", summary="The room's timeline, oldest first, paged by entry id",
            response_model=TimelinePage, responses=problems(401, 403, 404, 422))
def read_timeline(
    ref: str,
    after: Annotated[Count | None, Query(description="Entries after this id (reading forward).")] = None,
    before: Annotated[Count | None, Query(description="Entries before this id (paging back).")] = None,
    limit: Limit = 50,
    runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> TimelinePage:
    with runtime.database.reading() as db:
        incident = incident_queries.visible_incident(db=db, actor=principal.actor, ref=ref)
        # One extra row says whether another page lies beyond this one.
        entries = timeline.list_entries(db=db, incident_id=incident.id, after_id=after, before_id=before,
                                        limit=limit + 1)
    has_more = len(entries) > limit
    # Reading forward the extra row is the newest; paging back (or the latest page) it is the oldest.
    page = entries[:limit] if after is not None else entries[-limit:]
    return TimelinePage(items=[EntryOut.of(e) for e in page], has_more=has_more)


@router.post("/incidents/{ref}/messages", summary="Post a message in the room", status_code=201,
             response_model=EntryOut, responses=WRITES)
def post_message(
    ref: str, body: MessageIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> EntryOut:
    with runtime.database.writing() as db:
        entry = flows.post_message(db=db, actor=principal.actor, ref=ref, text=body.text)
        db.flush()
        view = EntryView(entry.id, entry.kind, entry.body, entry.data, entry.pinned, entry.created_at,
                         principal.user.handle, principal.user.name)
    return EntryOut.of(view)


@router.put("/incidents/{ref}/pins/{entry_id}", summary="Pin a timeline entry as a key event",
            response_model=OutcomeOut, responses=WRITES)
def pin_entry(
    ref: str, entry_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.pin_entry(
        db=db, actor=actor, ref=ref, entry_id=entry_id, pinned=True))


@router.delete("/incidents/{ref}/pins/{entry_id}", summary="Unpin a key event", response_model=OutcomeOut,
               responses=WRITES)
def unpin_entry(
    ref: str, entry_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> OutcomeOut:
    return apply_flow(runtime, principal, lambda db, actor: flows.pin_entry(
        db=db, actor=actor, ref=ref, entry_id=entry_id, pinned=False))
