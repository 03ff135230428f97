"""People and teams. Reading is open to every signed-in caller; changing them is for admins."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.accounts.schemas import (
    MemberIn,
    MeOut,
    TeamDetailOut,
    TeamIn,
    TeamOut,
    TeamPage,
    UserIn,
    UserOut,
    UserPage,
)
from warroom.api.deps import Principal, admin, get_runtime, reader
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.core.errors import NotFound
from warroom.runtime import Runtime

router = APIRouter(tags=["people"], route_class=JsonBodyRoute)


@router.get("/users", summary="List people", response_model=UserPage, responses=problems(401, 403, 422))
def list_users(
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> UserPage:
    with runtime.database.reading() as db:
        found = accounts.list_users(db=db)
    return UserPage(items=[UserOut.of(u) for u in window(found, limit, offset)], total=len(found), limit=limit,
                    offset=offset)


@router.get("/users/me", summary="Who this credential belongs to", response_model=MeOut,
            responses=problems(401, 403))
def who_am_i(runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(reader)) -> MeOut:
    with runtime.database.reading() as db:
        teams = accounts.teams_of(db=db, user_id=principal.user.id)
    return MeOut(**UserOut.of(principal.user).model_dump(), teams=[t.slug for t in teams],
                 effective_role=principal.actor.access_role)


@router.post("/users", summary="Add a person (admin)", status_code=201, response_model=UserOut, responses=WRITES)
def create_user(
    body: UserIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> UserOut:
    with runtime.database.writing() as db:
        user = accounts.create_user(db=db, actor=principal.actor, handle=body.handle, email=body.email,
                                    name=body.name, password=body.password, access_role=body.access_role)
        return UserOut.of(user)


@router.get("/teams", summary="List teams", response_model=TeamPage, responses=problems(401, 403, 422))
def list_teams(
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    _principal: Principal = Depends(reader),
) -> TeamPage:
    with runtime.database.reading() as db:
        found = accounts.list_teams(db=db)
    return TeamPage(items=[TeamOut.of(t) for t in window(found, limit, offset)], total=len(found), limit=limit,
                    offset=offset)


@router.post("/teams", summary="Add a team (admin)", status_code=201, response_model=TeamOut, responses=WRITES)
def create_team(
    body: TeamIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> TeamOut:
    with runtime.database.writing() as db:
        return TeamOut.of(accounts.create_team(db=db, actor=principal.actor, slug=body.slug, name=body.name))


@router.post("/teams/{slug}/members", summary="Add a person to a team (admin)", response_model=TeamDetailOut,
             responses=WRITES)
def add_member(
    slug: str, body: MemberIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(admin)
) -> TeamDetailOut:
    with runtime.database.writing() as db:
        team = _team(db, slug)
        accounts.add_member(db=db, actor=principal.actor, team=team, user=accounts.find_person(db=db, who=body.user))
        members = accounts.team_members(db=db, team=team)
        return TeamDetailOut(slug=team.slug, name=team.name, members=[m.handle for m in members])


def _team(db: Session, slug: str) -> Team:
    team = accounts.find_team(db=db, name=slug)
    if team is None:
        raise NotFound(f"No team '{slug}'.", field="team")
    return team
