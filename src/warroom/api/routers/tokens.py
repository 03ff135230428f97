"""API tokens: the secret is answered once at creation; only its hash is kept."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, TokenScope
from warroom.accounts.schemas import TokenCreatedOut, TokenIn, TokenOut, TokenPage
from warroom.api.deps import Principal, get_runtime, reader, writer
from warroom.api.json_body import JsonBodyRoute
from warroom.api.routers.common import WRITES, Limit, Offset, problems, window
from warroom.core.bounds import RowId
from warroom.core.errors import PermissionDenied
from warroom.runtime import Runtime

router = APIRouter(tags=["tokens"], route_class=JsonBodyRoute)


@router.get("/tokens", summary="List API tokens (yours; every token for admins)", response_model=TokenPage,
            responses=problems(401, 403, 422))
def list_tokens(
    limit: Limit = 50, offset: Offset = 0, runtime: Runtime = Depends(get_runtime),
    principal: Principal = Depends(reader),
) -> TokenPage:
    owner = None if principal.actor.is_admin else principal.user.id
    with runtime.database.reading() as db:
        found = accounts.list_tokens(db=db, user_id=owner)
    return TokenPage(items=[TokenOut.of(t) for t in window(found, limit, offset)], total=len(found),
                     limit=limit, offset=offset)


@router.post("/tokens", summary="Create an API token (the secret is shown once)", status_code=201,
             response_model=TokenCreatedOut, responses=WRITES)
def create_token(
    body: TokenIn, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> TokenCreatedOut:
    not_above_caller(principal, body.scope)
    with runtime.database.writing() as db:
        user = accounts.find_person(db=db, who=body.user) if body.user else principal.user
        created = accounts.create_token(db=db, actor=principal.actor, user=user, name=body.name, scope=body.scope)
        token = created.token
        return TokenCreatedOut(id=token.id, name=token.name, scope=token.scope, prefix=token.prefix,
                               token=created.secret)


def not_above_caller(principal: Principal, scope: TokenScope) -> None:
    """A credential cannot mint a stronger one: a write token of an admin does not make admin tokens."""
    wanted: AccessRole = scope.as_access_role()
    if wanted.rank > principal.actor.access_role.rank:
        raise PermissionDenied(f"This credential has {principal.actor.access_role.value} access; it cannot "
                               f"create a token with scope {scope.value}.", field="scope")


@router.delete("/tokens/{token_id}", summary="Revoke an API token", response_model=TokenOut, responses=WRITES)
def revoke_token(
    token_id: RowId, runtime: Runtime = Depends(get_runtime), principal: Principal = Depends(writer)
) -> TokenOut:
    with runtime.database.writing() as db:
        return TokenOut.of(accounts.revoke_token(db=db, actor=principal.actor, token_id=token_id))
