"""API tokens: create one (its secret is shown once) and revoke. Admins see everyone's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import TokenScope
from warroom.api.deps import Principal, get_runtime
from warroom.core.bounds import RowId
from warroom.core.errors import ValidationFailed
from warroom.runtime import Runtime
from warroom.web.auth import reading_as, web_principal
from warroom.web.forms import FormError, act_in_pool, post_form, read_form
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


def _scope(values: dict[str, str]) -> TokenScope:
    try:
        return TokenScope(values.get("scope", ""))
    except ValueError:
        raise ValidationFailed("A token's scope is read, write or admin.", field="scope") from None


@router.post("/settings/tokens")
async def create_token(request: Request, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> dict[str, str]:
        scope = _scope(values)
        who = values.get("user", "").strip()
        user = accounts.find_person(db=db, who=who) if who else principal.user
        created = accounts.create_token(db=db, actor=principal.actor, user=user, name=values.get("name", ""),
                                        scope=scope)
        return {"secret": created.secret, "name": created.token.name, "scope": scope.value, "user": user.handle}

    return await act_in_pool(
        request, runtime, principal, values, change,
        done=lambda shown: _tokens_page(runtime, request, 201, created=shown),
        refused=lambda error: _tokens_page(runtime, request, error.status, values=values,
                                           form_error=FormError("token", error.message, values, error.status)))


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: RowId, runtime: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(web_principal)) -> Response:
    values = await read_form(request)

    def change(db: Session) -> str:
        token = accounts.revoke_token(db=db, actor=principal.actor, token_id=token_id)
        return f"Revoked token “{token.name}” ({token.prefix}…)"

    return await post_form(
        request, runtime, principal, f"revoke:{token_id}", values, change, then="/settings/tokens",
        on_error=lambda error: _tokens_page(runtime, request, error.status, form_error=error))
