"""Escalation policies: ordered steps of targets and delays, repeated N times. Admins write them."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.api.deps import Principal, admin, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.core.errors import ValidationFailed
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.escalation.schemas import PolicyIn, PolicyOut, PolicyPage, PolicyReplaceIn
from warroom.runtime import Runtime

router = APIRouter(tags=["escalation policies"], route_class=JsonBodyRoute)
POLICY_PATH = "/escalation-policies/{slug}"


def _team(db: Session, slug: str | None) -> Team | None:
    if slug is None:
        return None
    team = accounts.find_team(db=db, name=slug)
    if team is None:
        raise ValidationFailed(f"No team '{slug}'. Use a team slug, e.g. engineering.", field="team")
    return team


def _outs(db: Session, found: Sequence[EscalationPolicy]) -> list[PolicyOut]:
    """Policies with their steps and every target's name: three queries or so, however many policies."""
    steps = policies.steps_of(db=db, policies=found)
    refs = [(str(t["type"]), int(t["id"])) for rows in steps.values() for s in rows for t in s.targets]
    refs += [("team", p.team_id) for p in found if p.team_id]
    names = policies.names_of(db=db, refs=refs)
    return [PolicyOut.of(p, steps[p.id], names) for p in found]


@router.get("/escalation-policies", summary="List escalation policies with their steps", response_model=PolicyPage,
            responses=problems(401, 403, 422))
def list_policies(
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> PolicyPage:
    with runtime.database.reading() as db:
        found = policies.list_policies(db=db)
        items = _outs(db, window(found, limit, offset))
    return PolicyPage(items=items, total=len(found), limit=limit, offset=offset)


@router.post("/escalation-policies", summary="Create an escalation policy (admin)", status_code=201,
             response_model=PolicyOut, responses=WRITES)
def create_policy(
    body: PolicyIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> PolicyOut:
    with runtime.database.writing() as db:
        policy = policies.create_policy(db=db, actor=principal.actor, slug=body.slug, name=body.name,
                                        steps=body.steps_plain(), team=_team(db, body.team), repeat=body.repeat,
                                        description=body.description)
        return _outs(db, [policy])[0]


@router.get(POLICY_PATH, summary="One escalation policy (by slug or id)", response_model=PolicyOut,
            responses=problems(401, 403, 404, 422))
def show_policy(
    slug: str, runtime: Runtime = Depends(get_runtime), _principal: Principal = Depends(reader)
) -> PolicyOut:
    with runtime.database.reading() as db:
        return _outs(db, [policies.get_policy(db=db, ref=slug)])[0]


@router.put(POLICY_PATH, summary="Replace an escalation policy: name, team, repeat and steps (admin)",
            response_model=PolicyOut, responses=WRITES)
def replace_policy(
    slug: str, body: PolicyReplaceIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> PolicyOut:
    with runtime.database.writing() as db:
        policy = policies.get_policy(db=db, ref=slug)
        policies.update_policy(db=db, actor=principal.actor, policy=policy, name=body.name,
                               steps=body.steps_plain(), team=_team(db, body.team), repeat=body.repeat,
                               description=body.description)
        return _outs(db, [policy])[0]


@router.delete(POLICY_PATH, summary="Remove an escalation policy no open alert runs (admin)",
               response_model=PolicyOut, responses=WRITES)
def remove_policy(
    slug: str, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> PolicyOut:
    with runtime.database.writing() as db:
        policy = policies.get_policy(db=db, ref=slug)
        removed = _outs(db, [policy])[0]
        policies.remove_policy(db=db, actor=principal.actor, policy=policy)
    return removed
