"""Sign-in for the web UI: the session cookie, the CSRF token, and who may see what."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.accounts.throttle import TooManySignIns
from warroom.api.deps import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, Principal, check_csrf, get_runtime, runtime_of
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import NotAuthenticated
from warroom.core.proxies import client_address as behind_proxies
from warroom.runtime import Runtime
from warroom.sso import oidc
from warroom.sso.people import person_for
from warroom.sso.providers import Provider, find_provider, parse_providers
from warroom.web.templating import is_secure, page, redirect

# Before there is a session, a double-submit cookie keeps other sites from signing you in as them.
LOGIN_COOKIE = "warroom_login"
# Between leaving for an identity provider and coming back: what its answer must match (signed; see sso.oidc).
SSO_COOKIE = "warroom_sso"

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """A page needs a signed-in person; the browser is sent to /login and back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def principal_in(db: Session, runtime: Runtime, request: Request) -> Principal | None:
    """The signed-in person, read with the page's own session (one query, no extra transaction)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = accounts.find_session(db=db, cookie_value=cookie, now=runtime.clock.now())
    if found is None:
        return None
    session, user = found
    actor = Actor(user.id, user.handle, user.access_role, "web", runtime.clock)
    return Principal(user, actor, session.csrf_token)


def client_address(request: Request, runtime: Runtime) -> str:
    """The client's address: the connection's, or X-Forwarded-For's when the connection is a trusted proxy."""
    peer = request.client.host if request.client else ""
    return behind_proxies(peer, request.headers.getlist("x-forwarded-for"),
                          runtime.settings.trusted_proxy_networks())


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


@contextmanager
def reading_as(request: Request, needs: AccessRole = AccessRole.viewer) -> Iterator[tuple[Session, Principal]]:
    """A read session and the signed-in person, for rendering a page."""
    runtime = runtime_of(request)
    with runtime.database.reading() as db:
        principal = principal_in(db, runtime, request)
        if principal is None:
            raise SignInRequired(_here(request))
        principal.actor.require(needs)
        yield db, principal


def web_principal(request: Request, runtime: Runtime = Depends(get_runtime)) -> Principal:
    """For form posts: the signed-in person, or off to the sign-in page."""
    with runtime.database.reading() as db:
        principal = principal_in(db, runtime, request)
    if principal is None:
        raise SignInRequired(_here(request) if request.method == "GET" else "/")
    return principal


def require_csrf(request: Request, principal: Principal, form: dict[str, str]) -> None:
    check_csrf(principal, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER))


def can_act(principal: Principal) -> bool:
    return principal.actor.access_role.rank >= AccessRole.responder.rank


def safe_next(value: str) -> str:
    """Only same-site paths: never bounce a fresh sign-in to another site."""
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def login_url(next_path: str) -> str:
    return "/login" if next_path in ("", "/") else f"/login?next={quote(next_path, safe='/')}"


def password_signin(runtime: Runtime) -> bool:
    """Whether passwords sign people in: as set, but always while no provider is set up (or nobody could)."""
    return runtime.settings.password_signin or not parse_providers(runtime.settings.oidc_providers)


# Routes -----------------------------------------------------------------------------------------------


def _login_page(runtime: Runtime, request: Request, *, next_path: str, login: str = "", error: str = "",
                status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    providers = parse_providers(runtime.settings.oidc_providers)
    response = page(runtime, request, "login.html",
                    {"next_path": next_path, "login": login, "login_token": token, "error": error,
                     "providers": providers, "password_signin": password_signin(runtime)}, status)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="lax",
                        secure=is_secure(runtime))
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/", runtime: Runtime = Depends(get_runtime)) -> Response:
    with runtime.database.reading() as db:
        if principal_in(db, runtime, request) is not None:
            return redirect(runtime, safe_next(next))
    return _login_page(runtime, request, next_path=safe_next(next))


@router.post("/login")
def login(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    login_token: Annotated[str, Form()] = "",
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    next_path = safe_next(next)
    if not password_signin(runtime):
        return _login_page(runtime, request, next_path=next_path, login=login, status=403,
                           error="Password sign-in is turned off here; sign in with your organisation's account.")
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, login_token):
        return _login_page(runtime, request, next_path=next_path, login=login, status=403,
                           error="Your browser must accept cookies from Warroom to sign in; reload and try again.")
    throttle = runtime.sign_in_throttle
    address = client_address(request, runtime)
    now = runtime.clock.now()
    try:
        throttle.check(login=login, address=address, now=now)
    except TooManySignIns as error:
        refused = _login_page(runtime, request, next_path=next_path, login=login, error=error.message, status=429)
        refused.headers["Retry-After"] = str(error.retry_after)
        return refused
    try:
        with runtime.database.writing() as db:
            user = accounts.authenticate_password(db=db, login=login, password=password)
            started = accounts.start_session(db=db, user=user, now=runtime.clock.now(),
                                             days=runtime.settings.session_days)
            actor = Actor(user.id, user.handle, user.access_role, "web", runtime.clock)
            audit.record(db=db, actor=actor, action="user.sign_in", target_type="user", target_id=user.id)
    except NotAuthenticated as error:
        throttle.failed(login=login, address=address, now=now)
        return _login_page(runtime, request, next_path=next_path, login=login, error=error.message, status=401)
    throttle.succeeded(login=login, address=address)
    response = redirect(runtime, next_path)
    response.set_cookie(SESSION_COOKIE, started.cookie_value, max_age=runtime.settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=is_secure(runtime))
    response.delete_cookie(LOGIN_COOKIE, httponly=True, samesite="lax", secure=is_secure(runtime))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "", runtime: Runtime = Depends(get_runtime),
           principal: Principal = Depends(web_principal)) -> Response:
    require_csrf(request, principal, {CSRF_FIELD: csrf_token})
    with runtime.database.writing() as db:
        accounts.end_session(db=db, cookie_value=request.cookies.get(SESSION_COOKIE, ""))
        audit.record(db=db, actor=principal.actor, action="user.sign_out", target_type="user",
                     target_id=principal.user.id)
    response = redirect(runtime, "/login")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=is_secure(runtime))
    return response


# Single sign-on (OpenID Connect) ------------------------------------------------------------------------


def _provider(runtime: Runtime, name: str) -> Provider:
    provider = find_provider(runtime.settings.oidc_providers, name)
    if provider is None:
        raise oidc.SignInRefused(f"No sign-in provider '{name}' is set up here; use one the sign-in page offers.",
                                 status=404)
    return provider


def _callback_url(runtime: Runtime, provider: Provider) -> str:
    return f"{runtime.settings.base_url.rstrip('/')}/sso/{provider.name}/callback"


def _refused(runtime: Runtime, request: Request, error: oidc.SignInRefused, next_path: str = "/") -> Response:
    response = _login_page(runtime, request, next_path=next_path, error=error.message, status=error.status)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    response.delete_cookie(SSO_COOKIE, path="/sso", httponly=True, samesite="lax", secure=is_secure(runtime))
    return response


@router.get("/sso/{name}/start")
def sso_start(name: str, request: Request, next: str = "/", runtime: Runtime = Depends(get_runtime)) -> Response:
    """Off to the identity provider, with state, nonce and a PKCE challenge; the cookie remembers them."""
    try:
        provider = _provider(runtime, name)
        started = oidc.start(provider, redirect_uri=_callback_url(runtime, provider), next_path=safe_next(next),
                             secret=runtime.settings.resolved_secret_key(), now=runtime.clock.now())
    except oidc.SignInRefused as error:
        return _refused(runtime, request, error, safe_next(next))
    response = redirect(runtime, started.url)
    response.set_cookie(SSO_COOKIE, started.cookie, max_age=oidc.FLOW_SECONDS, path="/sso", httponly=True,
                        samesite="lax", secure=is_secure(runtime))
    return response


@router.get("/sso/{name}/callback")
def sso_callback(name: str, request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    """The provider's answer: checked, redeemed, the person found or created, a session started."""
    now = runtime.clock.now()
    try:
        provider = _provider(runtime, name)
        flow = oidc.check_answer(provider, dict(request.query_params), request.cookies.get(SSO_COOKIE, ""),
                                 secret=runtime.settings.resolved_secret_key(), now=now)
        claims = oidc.redeem(provider, flow, request.query_params["code"],
                             redirect_uri=_callback_url(runtime, provider), now=now)
        with runtime.database.writing() as db:
            signed_in = person_for(db, provider, claims, runtime.clock)
            started = accounts.start_session(db=db, user=signed_in.user, now=now, days=runtime.settings.session_days)
            actor = Actor(signed_in.user.id, signed_in.user.handle, signed_in.user.access_role, "sso", runtime.clock)
            audit.record(db=db, actor=actor, action="user.sign_in", target_type="user", target_id=signed_in.user.id,
                         provider=provider.name)
    except oidc.SignInRefused as error:
        return _refused(runtime, request, error)
    response = redirect(runtime, flow.next_path)
    response.set_cookie(SESSION_COOKIE, started.cookie_value, max_age=runtime.settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=is_secure(runtime))
    response.delete_cookie(SSO_COOKIE, path="/sso", httponly=True, samesite="lax", secure=is_secure(runtime))
    return response
