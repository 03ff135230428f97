"""What every router shares: pagination parameters, the problem+json shape, and outcome rendering."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from warroom.api.deps import Principal
from warroom.core.actor import Actor
from warroom.core.bounds import Count
from warroom.incidents.flows import Outcome
from warroom.incidents.schemas import OutcomeOut
from warroom.roles import service as roles
from warroom.roles.models import LEAD
from warroom.runtime import Runtime

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="Page size, 1 to 200.")]
Offset = Annotated[Count, Query(description="How many rows to skip.")]


class FieldProblem(BaseModel):
    field: str
    message: str


class ProblemOut(BaseModel):
    """An error (RFC 9457), with the members Warroom adds where they apply."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    usage: str | None = None
    missing: list[str] | None = None
    errors: list[FieldProblem] | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document the problem+json answers a route can give, for the OpenAPI description."""
    meaning = {400: "Bad request (invalid JSON, command typo)", 401: "No valid credential",
               403: "Not allowed for this access role", 404: "Not found", 409: "Conflicts with the current state",
               413: "Request body too large", 422: "Invalid input", 503: "Database unavailable"}
    return {
        status: {"model": ProblemOut, "description": meaning[status],
                 "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}}}
        for status in statuses
    }


WRITES = problems(400, 401, 403, 404, 409, 413, 422)


def window(rows: Sequence[T], limit: int, offset: int) -> list[T]:
    """One page of a short list the services return whole (people, teams, playbooks, tokens)."""
    return list(rows[offset : offset + limit])


def lead_of(db: Session, incident_id: int) -> str | None:
    return roles.holder_handle(db=db, incident_id=incident_id, role=LEAD)


Flow = Callable[[Session, Actor], Outcome]


def apply_flow(runtime: Runtime, principal: Principal, flow: Flow) -> OutcomeOut:
    """Run one flow in one transaction and answer with what it did; any error rolls it all back."""
    with runtime.database.writing() as db:
        outcome = flow(db, principal.actor)
        lead = lead_of(db, outcome.incident.id)
        return OutcomeOut.of(outcome, lead=lead, base_url=runtime.settings.base_url)
