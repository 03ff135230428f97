"""Admin views: the append-only audit log and the engine's dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from warroom.api.deps import Principal, admin, get_runtime
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, problems
from warroom.audit import service as audit
from warroom.audit.models import AuditEntry
from warroom.core.bounds import Count, RowId
from warroom.engine import queue
from warroom.engine.models import Job
from warroom.runtime import Runtime

router = APIRouter(tags=["admin"], route_class=JsonBodyRoute)


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor_id: int | None
    via: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        return cls(id=entry.id, at=entry.at, actor_id=entry.actor_id, via=entry.via, action=entry.action,
                   target_type=entry.target_type, target_id=entry.target_id, detail=dict(entry.detail))


class AuditPage(BaseModel):
    items: list[AuditOut]
    has_more: bool


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    payload: dict[str, Any]
    attempts: int
    last_error: str
    due_at: datetime
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(id=job.id, kind=job.kind, state=job.state.value, payload=dict(job.payload),
                   attempts=job.attempts, last_error=job.last_error, due_at=job.due_at,
                   created_at=job.created_at, finished_at=job.finished_at)


class JobPage(BaseModel):
    items: list[JobOut]


@router.get("/audit", summary="The audit log, newest first (admin)", response_model=AuditPage,
            responses=problems(401, 403, 422))
def read_audit_log(
    before: Annotated[Count | None, Query(description="Entries older than this id.")] = None,
    limit: Limit = 50,
    runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(admin),
) -> AuditPage:
    with runtime.database.reading() as db:
        rows = audit.list_entries(db=db, limit=limit + 1, before_id=before)
    return AuditPage(items=[AuditOut.of(e) for e in rows[:limit]], has_more=len(rows) > limit)


@router.get("/jobs/dead", summary="Jobs the engine gave up on (admin)", response_model=JobPage,
            responses=problems(401, 403, 422))
def dead_jobs(
    limit: Limit = 50, runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(admin)
) -> JobPage:
    with runtime.database.reading() as db:
        return JobPage(items=[JobOut.of(j) for j in queue.dead_letters(db=db, limit=limit)])


@router.post("/jobs/{job_id}/retry", summary="Send a dead job again (admin)", response_model=JobOut,
             responses=WRITES)
def retry_job(job_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)) -> JobOut:
    with runtime.database.writing() as db:
        job = queue.retry_dead(db=db, job_id=job_id, now=runtime.clock.now())
        audit.record(db=db, actor=principal.actor, action="job.retry", target_type="job", target_id=job_id)
        return JobOut.of(job)
