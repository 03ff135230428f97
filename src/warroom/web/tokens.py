"""API tokens: create one (its secret is shown once) and revoke. Admins see everyone's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import TokenScope
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, require_csrf, web_principal
from warroom.web.forms import FormError, read_form, submit
from warroom.web.templating import page

router = APIRouter(include_in_schema=False)


def _context(db: Session, principal: Principal) -> dict[str, Any]:
    admin = principal.actor.is_admin
    tokens = accounts.list_tokens(db=db, user_id=None if admin else principal.user.id)
    owners = {u.id: u.handle for u in accounts.list_users(db=db)} if admin else {principal.user.id:
                                                                                principal.user.handle}
    scopes = [s for s in TokenScope if s.as_access_role().rank <= principal.actor.access_role.rank]
    own = max(scopes, key=lambda s: s.as_access_role().rank)  # a token that can do what its owner can
    return {"principal": principal, "tokens": tokens, "owners": owners, "scopes": scopes, "admin": admin,
            "nav": "tokens", "created": None, "values": {"name": "", "scope": own.value, "user": ""}}


def _tokens_page(runtime: Runtime, request: Request, status: int = 200, **extra: Any) -> Response:
    with reading_as(request) as (db, principal):
        context = _context(db, principal)
    context.update(extra)
    return page(runtime, request, "tokens.html", context, status)


@router.get("/settings/tokens")
def tokens(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    return _tokens_page(runtime, request)


def _create(request: Request, runtime: Runtime, principal: Principal, values: dict[str, str]) -> Response:
    try:
        require_csrf(request, principal, values)
        try:
            scope = TokenScope(values.get("scope", ""))
        except ValueError:
            raise ValidationFailed("A token's scope is read, write or admin.", field="scope") from None
        with runtime.database.writing() as db:
            who = values.get("user", "").strip()
            user = accounts.find_person(db=db, who=who) if who else principal.user
            created = accounts.create_token(db=db, actor=principal.actor, user=user, name=values.get("name", ""),
                                            scope=scope)
            shown = {"secret": created.secret, "name": created.token.name, "scope": scope.value,
                     "user": user.handle}
    except WarroomError as error:
        return _tokens_page(runtime, request, error.status, values=values,
                            form_error=FormError("token", error.message, values, error.status))
    return _tokens_page(runtime, request, 201, created=shown)


@router.post("/settings/tokens")
async def create_token(request: Request, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)
    return await run_in_threadpool(_create, request, runtime, principal, values)


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: RowId, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        token = accounts.revoke_token(db=db, actor=principal.actor, token_id=token_id)
        return f"Revoked token “{token.name}” ({token.prefix}…)"

    return await run_in_threadpool(
        submit, request, runtime, principal, f"revoke:{token_id}", values, change, then="/settings/tokens",
        on_error=lambda error: _tokens_page(runtime, request, error.status, form_error=error))
