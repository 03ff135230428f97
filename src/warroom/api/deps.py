"""Who is calling: an API token (Bearer) or a signed-in browser session (cookie + CSRF)."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from fastapi import Depends, Request

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, ApiToken, TokenScope, User
from warroom.core.actor import Actor
from warroom.core.errors import NotAuthenticated, PermissionDenied
from warroom.core.security import hash_secret
from warroom.runtime import Runtime

SESSION_COOKIE = "warroom_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_TOUCH = timedelta(minutes=1)
# A token checked against the store is trusted this long by this process before it is checked again: a
# revocation or role change made in this process counts at once, one made by another process within this.
TOKEN_RECHECK_SECONDS = 2.0
MAX_KNOWN_TOKENS = 10_000


@dataclass(frozen=True)
class Principal:
    user: User
    actor: Actor
    csrf_token: str | None  # set for browser sessions

    @property
    def is_browser(self) -> bool:
        return self.csrf_token is not None


# Dependencies are `async def` so FastAPI runs them on the event loop: each sync dependency would cost a
# hop to the thread pool and back (GIL hand-offs), several times the work they do. The token look-up is
# one indexed read of well under a millisecond.


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


@dataclass(frozen=True)
class KnownToken:
    """A token this process checked a moment ago: who it is for, with what reach (read-only snapshots)."""

    token_id: int
    prefix: str
    scope: TokenScope | None
    user: User  # detached; only read
    last_used_at: datetime | None
    generation: int
    until: float


_known_tokens: dict[str, KnownToken] = {}


def _look_up_token(runtime: Runtime, secret: str) -> KnownToken:
    """The token behind ``secret``, remembered for TOKEN_RECHECK_SECONDS (a revocation here is seen at once)."""
    digest = hash_secret(secret)
    known = _known_tokens.get(digest)
    if known is not None and known.until > time.monotonic() and known.generation == accounts.credentials_generation():
        return known
    generation = accounts.credentials_generation()
    with runtime.database.reading() as db:
        found = accounts.authenticate_token(db=db, secret=secret)
    if found is None:
        _known_tokens.pop(digest, None)
        raise NotAuthenticated("The API token is unknown or revoked. Create one with "
                               "`warroom tokens create` or on the Tokens page.")
    token, user = found
    if len(_known_tokens) >= MAX_KNOWN_TOKENS:
        _known_tokens.clear()
    known = KnownToken(token.id, token.prefix, token.scope, user, token.last_used_at, generation,
                       time.monotonic() + TOKEN_RECHECK_SECONDS)
    _known_tokens[digest] = known
    return known


def principal_from_token(runtime: Runtime, secret: str) -> Principal:
    known = _look_up_token(runtime, secret)
    now = runtime.clock.now()
    if known.last_used_at is None or now - known.last_used_at > TOKEN_TOUCH:
        with runtime.database.writing() as db:
            db.execute(sa.update(ApiToken).where(ApiToken.id == known.token_id).values(last_used_at=now))
        _known_tokens[hash_secret(secret)] = replace(known, last_used_at=now)
    user = known.user
    role = accounts.effective_role(user, known.scope)
    actor = Actor(user.id, user.handle, role, f"api-token:{known.prefix}", runtime.clock)
    return Principal(user, actor, None)


def principal_from_session(runtime: Runtime, request: Request) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with runtime.database.reading() as db:
        found = accounts.find_session(db=db, cookie_value=cookie, now=runtime.clock.now())
    if found is None:
        return None
    session, user = found
    actor = Actor(user.id, user.handle, user.access_role, "web", runtime.clock)
    return Principal(user, actor, session.csrf_token)


def check_csrf(principal: Principal, supplied: str | None) -> None:
    if principal.csrf_token is None:
        return
    if not supplied or not hmac.compare_digest(supplied, principal.csrf_token):
        raise PermissionDenied("The form's security token is missing or stale; reload the page and try again.")


async def api_principal(request: Request, runtime: Runtime = Depends(get_runtime)) -> Principal:
    """API callers: a Bearer token, or the browser's session with the CSRF header on writes."""
    secret = _bearer(request)
    if secret:
        return principal_from_token(runtime, secret)
    principal = principal_from_session(runtime, request)
    if principal is None:
        raise NotAuthenticated("Send 'Authorization: Bearer <token>' (create one with `warroom tokens create`).")
    if request.method not in SAFE_METHODS:
        check_csrf(principal, request.headers.get(CSRF_HEADER))
    return principal


async def reader(principal: Principal = Depends(api_principal)) -> Principal:
    principal.actor.require(AccessRole.viewer)
    return principal


async def writer(principal: Principal = Depends(api_principal)) -> Principal:
    principal.actor.require(AccessRole.responder)
    return principal


async def admin(principal: Principal = Depends(api_principal)) -> Principal:
    principal.actor.require(AccessRole.admin)
    return principal
