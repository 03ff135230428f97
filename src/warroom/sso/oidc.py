"""OpenID Connect sign-in: the authorization code flow with state, nonce and PKCE, and the ID token's checks.

``start`` sends the browser to the provider and returns a signed cookie holding what the answer must match;
``finish`` takes the provider's answer, exchanges the code (with the PKCE verifier) and checks the ID token:
its signature against the provider's published keys (JWKS), its issuer, audience, expiry and nonce. Every
refusal is a ``SignInRefused`` whose message says what went wrong and what to do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from warroom.sso.providers import Provider

FLOW_SECONDS = 600  # a sign-in started more than this long ago is refused
LEEWAY_SECONDS = 60  # clock difference tolerated between the provider and this server
CACHE_SECONDS = 3600.0
HTTP_TIMEOUT = 10.0
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class SignInRefused(Exception):
    """A sign-in through a provider that cannot go on; ``message`` is for the person at the browser."""

    def __init__(self, message: str, *, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


# What the provider publishes ------------------------------------------------------------------------------

_cache: dict[str, tuple[float, Any]] = {}


def _get_json(url: str, what: str, provider: Provider, *, fresh: bool = False) -> Any:
    cached = _cache.get(url)
    if cached is not None and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, headers={"accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SignInRefused(f"{provider.title} cannot be reached for its {what} ({url}: {error}); "
                            "try again in a minute.", status=503, retry_after=30) from error
    _cache[url] = (time.monotonic(), body)
    return body


def discovery(provider: Provider) -> dict[str, Any]:
    """The provider's metadata; its issuer must be the configured one (OpenID Connect Discovery §4.3)."""
    document = _get_json(provider.discovery_url, "OpenID configuration", provider)
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != provider.issuer:
        found = document.get("issuer") if isinstance(document, dict) else None
        raise SignInRefused(f"{provider.title}'s OpenID configuration names issuer {found!r}, not the configured "
                            f"{provider.issuer!r}; fix the provider's issuer in WARROOM_OIDC_PROVIDERS.",
                            status=502)
    return document


def _keys(provider: Provider, document: dict[str, Any], *, fresh: bool) -> KeySet:
    body = _get_json(str(document.get("jwks_uri", "")), "signing keys (JWKS)", provider, fresh=fresh)
    try:
        return KeySet.import_key_set(body)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise SignInRefused(f"{provider.title}'s signing keys (JWKS) cannot be read: {error}.", status=502) from error


# The browser's trip to the provider and back --------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """What the provider's answer must match, kept in a signed cookie between the two legs."""

    provider: str
    state: str
    nonce: str
    verifier: str
    next_path: str
    started: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def code_challenge(verifier: str) -> str:
    """PKCE's S256 challenge (RFC 7636 §4.2)."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def _sign(secret: str, payload: bytes) -> str:
    return _b64(hmac.new(secret.encode(), b"warroom-sso:" + payload, hashlib.sha256).digest())


def seal(flow: Flow, secret: str) -> str:
    payload = _b64(json.dumps(flow.__dict__, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload.encode())}"


def unseal(cookie: str, secret: str) -> Flow | None:
    payload, _, signature = cookie.partition(".")
    if not hmac.compare_digest(signature, _sign(secret, payload.encode())):
        return None
    try:
        return Flow(**json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Started:
    url: str  # where the browser goes: the provider's authorization endpoint
    cookie: str  # the sealed Flow


def start(provider: Provider, *, redirect_uri: str, next_path: str, secret: str, now: datetime) -> Started:
    document = discovery(provider)
    flow = Flow(provider.name, secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48),
                next_path, int(now.timestamp()))
    query = urlencode({
        "response_type": "code", "client_id": provider.client_id, "redirect_uri": redirect_uri,
        "scope": provider.scopes, "state": flow.state, "nonce": flow.nonce,
        "code_challenge": code_challenge(flow.verifier), "code_challenge_method": "S256",
    })
    endpoint = str(document.get("authorization_endpoint", ""))
    return Started(f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", seal(flow, secret))


def check_answer(provider: Provider, params: dict[str, str], cookie: str, *, secret: str, now: datetime) -> Flow:
    """The flow this browser started, if the provider's answer belongs to it; the code is in ``params``."""
    flow = unseal(cookie, secret) if cookie else None
    if flow is None or flow.provider != provider.name or now.timestamp() - flow.started > FLOW_SECONDS:
        raise SignInRefused("This sign-in was not started in this browser, or was started more than 10 minutes "
                            "ago; start again from the sign-in page.")
    if not hmac.compare_digest(params.get("state", ""), flow.state):
        raise SignInRefused(f"The answer from {provider.title} does not belong to the sign-in this browser "
                            "started (its state differs); start again from the sign-in page.")
    if params.get("error"):
        reason = params.get("error_description") or params["error"]
        raise SignInRefused(f"{provider.title} did not sign you in: {reason}.", status=401)
    if not params.get("code"):
        raise SignInRefused(f"The answer from {provider.title} has no authorization code; start again.")
    return flow


def redeem(provider: Provider, flow: Flow, code: str, *, redirect_uri: str, now: datetime) -> dict[str, Any]:
    """Exchange the code for tokens (with the PKCE verifier) and return the checked ID token's claims."""
    document = discovery(provider)
    tokens = _exchange(provider, document, code, verifier=flow.verifier, redirect_uri=redirect_uri)
    claims = _verified_claims(provider, document, tokens["id_token"])
    check_claims(provider, claims, issuer=str(document["issuer"]), nonce=flow.nonce, now=now)
    return {**_userinfo(provider, document, tokens, claims), **claims}


def _userinfo(provider: Provider, document: dict[str, Any], tokens: dict[str, Any],
              claims: dict[str, Any]) -> dict[str, Any]:
    """The groups (and email) the ID token left out, from the UserInfo endpoint, when the mapping needs them.

    Some providers put group claims only in UserInfo. Its answer counts only for the ID token's subject
    (OpenID Connect Core §5.3.2); the ID token's own claims always win.
    """
    wanted = (provider.groups and provider.group_claim not in claims) or "email" not in claims
    endpoint, access_token = document.get("userinfo_endpoint"), tokens.get("access_token")
    if not wanted or not isinstance(endpoint, str) or not isinstance(access_token, str):
        return {}
    try:
        response = httpx.get(endpoint, headers={"authorization": f"Bearer {access_token}",
                                                "accept": "application/json"}, timeout=HTTP_TIMEOUT)
    except httpx.HTTPError as error:
        raise SignInRefused(f"{provider.title} cannot be reached for your groups ({error}); try again.",
                            status=503, retry_after=30) from error
    info = _json_object(response)
    if response.status_code != 200 or info.get("sub") != claims["sub"]:
        return {}
    return {k: v for k, v in info.items() if k in (provider.group_claim, "email", "email_verified", "name",
                                                     "preferred_username")}


def _exchange(provider: Provider, document: dict[str, Any], code: str, *, verifier: str,
              redirect_uri: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": provider.client_id}
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    auth: tuple[str, str] | None = None
    if provider.client_secret and "client_secret_basic" in methods:
        auth = (provider.client_id, provider.client_secret)
    elif provider.client_secret:
        form["client_secret"] = provider.client_secret
    try:
        response = httpx.post(str(document.get("token_endpoint", "")), data=form, auth=auth, timeout=HTTP_TIMEOUT,
                              headers={"accept": "application/json"})
    except httpx.HTTPError as error:
        raise SignInRefused(f"{provider.title} cannot be reached to finish the sign-in ({error}); try again.",
                            status=503, retry_after=30) from error
    body = _json_object(response)
    if response.status_code != 200:
        reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
        raise SignInRefused(f"{provider.title} did not accept the sign-in code: {reason}. Start again from the "
                            "sign-in page.", status=401)
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise SignInRefused(f"{provider.title} answered without an ID token; ask for the openid scope.",
                            status=502)
    return body


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _verified_claims(provider: Provider, document: dict[str, Any], id_token: str) -> dict[str, Any]:
    """The ID token's claims once its signature is one of the provider's published keys'."""
    allowed = [a for a in document.get("id_token_signing_alg_values_supported") or ["RS256"]
               if a in SIGNING_ALGORITHMS] or ["RS256"]
    for fresh in (False, True):  # keys rotate: a kid we have not seen makes us read the JWKS again, once
        try:
            token = jwt.decode(id_token, _keys(provider, document, fresh=fresh), algorithms=allowed)
        except JoseError:
            continue
        except ValueError:
            break
        return dict(token.claims)
    raise SignInRefused(f"The ID token from {provider.title} is not signed by one of its published keys (or is "
                        "not a signed token); sign-in refused.", status=401)


def check_claims(provider: Provider, claims: dict[str, Any], *, issuer: str, nonce: str, now: datetime) -> None:
    """OpenID Connect Core §3.1.3.7: issuer, audience (and azp), expiry, issued-at and nonce."""
    if claims.get("iss") != issuer:
        raise SignInRefused(f"The ID token was issued by {claims.get('iss')!r}, not by {provider.title} "
                            f"({issuer}); sign-in refused.", status=401)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise SignInRefused(f"The ID token is for another application (audience {audience!r}), not for Warroom's "
                            f"client id {provider.client_id!r}; sign-in refused.", status=401)
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRefused("The ID token names several audiences but was not issued to Warroom (azp); "
                            "sign-in refused.", status=401)
    _check_times(provider, claims, now)
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise SignInRefused(f"The ID token from {provider.title} was not issued for this sign-in (its nonce "
                            "differs); start again from the sign-in page.", status=401)
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise SignInRefused(f"The ID token from {provider.title} names no subject (sub).", status=401)


def _check_times(provider: Provider, claims: dict[str, Any], now: datetime) -> None:
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise SignInRefused(f"The ID token from {provider.title} lacks its expiry or issue time.", status=401)
    if expires + LEEWAY_SECONDS < now.timestamp():
        when = datetime.fromtimestamp(expires, tz=now.tzinfo).strftime("%Y-%m-%d %H:%M:%S UTC")
        raise SignInRefused(f"The ID token from {provider.title} expired at {when}; sign in again (if this "
                            "repeats, check this server's clock).", status=401)
    if issued - LEEWAY_SECONDS > now.timestamp():
        raise SignInRefused(f"The ID token from {provider.title} was issued in the future; check this server's "
                            "clock.", status=401)
