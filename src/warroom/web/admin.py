"""Admin pages: people, teams, the audit log and dead-lettered jobs."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.api.deps import Principal, get_runtime
from warroom.audit import service as audit
from warroom.core.bounds import Count, RowId
from warroom.core.errors import NotFound, ValidationFailed
from warroom.engine import queue
from warroom.engine.models import Job, JobState
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, post_form, read_form
from warroom.web.templating import page

AUDIT_PAGE = 100

router = APIRouter(include_in_schema=False)


def _access(value: str) -> AccessRole:
    try:
        return AccessRole(value)
    except ValueError:
        raise ValidationFailed("Access is viewer, responder or admin.", field="access_role") from None


# People ----------------------------------------------------------------------------------------------


def _users_page(runtime: Runtime, request: Request, *, values: dict[str, str] | None = None,
                error: FormError | None = None) -> Response:
    with reading_as(request, AccessRole.admin) as (db, principal):
        users = accounts.list_users(db=db)
        teams_by_user: dict[int, list[str]] = {}
        for team in accounts.list_teams(db=db):
            for member in accounts.team_members(db=db, team=team):
                teams_by_user.setdefault(member.id, []).append(team.slug)
    return page(runtime, request, "admin_users.html", {
        "principal": principal, "users": users, "teams_by_user": teams_by_user, "roles": list(AccessRole),
        "values": values or {"handle": "", "email": "", "name": "", "access_role": "responder"},
        "form_error": error, "nav": "admin", "section": "users",
    }, error.status if error else 200)


@router.get("/admin/users")
def users(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _users_page(runtime, request)


@router.post("/admin/users")
async def create_user(request: Request, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        user = accounts.create_user(
            db=db, actor=principal.actor, handle=values.get("handle", ""), email=values.get("email", ""),
            name=values.get("name", ""), password=values.get("password") or None,
            access_role=_access(values.get("access_role", "")))
        return f"Created @{user.handle} ({user.access_role.value})"

    shown = {k: v for k, v in values.items() if k != "password"}
    return await post_form(
        request, runtime, principal, "user", values, change, then="/admin/users",
        on_error=lambda error: _users_page(runtime, request, values=shown, error=error))


@router.post("/admin/users/password")
async def reset_password(request: Request, runtime: Runtime = Depends(get_runtime),
                         principal: Principal = Depends(web_principal)) -> Response:
    """An admin sets someone's password: all their web sessions end; their API tokens only if ticked."""
    values = await read_form(request)

    def change(db: Session) -> str:
        user = accounts.find_person(db=db, who=values.get("who", ""))
        changed = accounts.set_password(db=db, actor=principal.actor, user=user,
                                        password=values.get("password", ""),
                                        revoke_tokens=values.get("revoke_tokens") == "1")
        said = f"Password of @{user.handle} set; signed out of {changed.sessions_ended} session" + (
            "s" if changed.sessions_ended != 1 else "")
        if values.get("revoke_tokens") == "1":
            said += f"; {changed.tokens_revoked} API token{'s' if changed.tokens_revoked != 1 else ''} revoked"
        return said

    shown = {k: v for k, v in values.items() if k != "password"}
    return await post_form(
        request, runtime, principal, "password", values, change, then="/admin/users",
        on_error=lambda error: _users_page(runtime, request, values=shown, error=error))


@router.post("/admin/users/{handle}/access")
async def set_access(request: Request, handle: str, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        user = accounts.find_person(db=db, who=handle)
        accounts.set_access_role(db=db, actor=principal.actor, user=user,
                                 access_role=_access(values.get("access_role", "")))
        return f"@{user.handle} now has {user.access_role.value} access"

    return await post_form(
        request, runtime, principal, f"access:{handle}", values, change, then="/admin/users",
        on_error=lambda error: _users_page(runtime, request, error=error))


# Teams -----------------------------------------------------------------------------------------------


def _teams_page(runtime: Runtime, request: Request, *, values: dict[str, str] | None = None,
                error: FormError | None = None) -> Response:
    with reading_as(request, AccessRole.admin) as (db, principal):
        teams = [(team, accounts.team_members(db=db, team=team)) for team in accounts.list_teams(db=db)]
    return page(runtime, request, "admin_teams.html", {
        "principal": principal, "teams": teams, "values": values or {"slug": "", "name": "", "who": "", "team": ""},
        "form_error": error, "nav": "admin", "section": "teams",
    }, error.status if error else 200)


@router.get("/admin/teams")
def teams(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _teams_page(runtime, request)


@router.post("/admin/teams")
async def create_team(request: Request, runtime: Runtime = Depends(get_runtime),
                      principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        team = accounts.create_team(db=db, actor=principal.actor, slug=values.get("slug", ""),
                                    name=values.get("name", ""))
        return f"Created team {team.slug}"

    return await post_form(
        request, runtime, principal, "team", values, change, then="/admin/teams",
        on_error=lambda error: _teams_page(runtime, request, values=values, error=error))


@router.post("/admin/teams/members")
async def add_member(request: Request, runtime: Runtime = Depends(get_runtime),
                     principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        team = accounts.find_team(db=db, name=values.get("team", ""))
        if team is None:
            raise NotFound(f"No team '{values.get('team', '')}'.", field="team")
        user = accounts.find_person(db=db, who=values.get("who", ""))
        accounts.add_member(db=db, actor=principal.actor, team=team, user=user)
        return f"@{user.handle} is in {team.slug}"

    return await post_form(
        request, runtime, principal, "member", values, change, then="/admin/teams",
        on_error=lambda error: _teams_page(runtime, request, values=values, error=error))


# Audit log and jobs ----------------------------------------------------------------------------------


@router.get("/admin/audit")
def audit_log(request: Request, before: Count | None = None, runtime: Runtime = Depends(get_runtime)) -> Response:
    with reading_as(request, AccessRole.admin) as (db, principal):
        entries = audit.list_entries(db=db, limit=AUDIT_PAGE + 1, before_id=before)
        handles = {u.id: u.handle for u in accounts.list_users(db=db)}
    older = entries[AUDIT_PAGE - 1].id if len(entries) > AUDIT_PAGE else None
    return page(runtime, request, "admin_audit.html", {
        "principal": principal, "entries": entries[:AUDIT_PAGE], "handles": handles, "older": older,
        "nav": "admin", "section": "audit",
    })


def _jobs_page(runtime: Runtime, request: Request, error: FormError | None = None) -> Response:
    with reading_as(request, AccessRole.admin) as (db, principal):
        dead = queue.dead_letters(db=db)
    return page(runtime, request, "admin_jobs.html", {
        "principal": principal, "jobs": dead, "form_error": error, "nav": "admin", "section": "jobs",
    }, error.status if error else 200)


@router.get("/admin/jobs")
def jobs(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _jobs_page(runtime, request)


@router.post("/admin/jobs/{job_id}/retry")
async def retry_job(request: Request, job_id: RowId, runtime: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        principal.actor.require(AccessRole.admin)
        job = db.get(Job, job_id)
        if job is None or job.state is not JobState.dead:
            raise NotFound(f"No dead-lettered job #{job_id}.")
        queue.retry_dead(db=db, job_id=job_id, now=runtime.clock.now())
        audit.record(db=db, actor=principal.actor, action="job.retry", target_type="job", target_id=job_id,
                     kind=job.kind)
        return f"Job #{job_id} ({job.kind}) will run again"

    return await post_form(
        request, runtime, principal, f"retry:{job_id}", values, change, then="/admin/jobs",
        on_error=lambda error: _jobs_page(runtime, request, error))
