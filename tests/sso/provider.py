"""A stand-in OpenID Connect provider on 127.0.0.1 (support's recording HTTP server) for the fast callback tests.

It speaks the provider's side of the wire: discovery, JWKS, and a token endpoint that redeems a code only with
the PKCE verifier whose S256 challenge the code was issued for. The ID token it hands back is whatever the test
forged with its own key, so each test can make it wrong in one way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from ..support import RecordingServer, Reply, Request, http_server

KEY = RSAKey.generate_key(2048, parameters={"kid": "corp-1", "use": "sig", "alg": "RS256"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "corp-1", "use": "sig", "alg": "RS256"})
CLIENT_ID = "warroom-client"


def challenge_of(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def sign(claims: dict[str, Any], key: RSAKey = KEY) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


@dataclass
class Issued:
    challenge: str
    id_token: Callable[[], str]


@dataclass
class FakeProvider:
    server: RecordingServer
    codes: dict[str, Issued] = field(default_factory=dict)
    userinfo: dict[str, Any] = field(default_factory=dict)  # what GET /userinfo answers for the access token

    @property
    def issuer(self) -> str:
        return self.server.url

    def setting(self, **extra: Any) -> str:
        provider = {"name": "corp", "label": "Corp SSO", "issuer": self.issuer, "client_id": CLIENT_ID,
                    "client_secret": "s3cret", "groups": {"sre": {"team": "engineering", "access": "responder"},
                                                          "ir-leads": {"access": "admin"}}}
        return json.dumps([{**provider, **extra}])

    def claims(self, authorize_url: str, now: float, **changes: Any) -> dict[str, Any]:
        """Good ID token claims for the sign-in ``authorize_url`` started; ``changes`` overrides (None drops)."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        claims: dict[str, Any] = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "corp|dana", "iat": int(now),
                                  "exp": int(now) + 300, "nonce": query["nonce"], "email": "dana@example.com",
                                  "email_verified": True, "name": "Dana Scully", "preferred_username": "dana",
                                  "groups": ["sre"]}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def issue(self, code: str, authorize_url: str, id_token: str | Callable[[], str]) -> None:
        """The provider lets the person in: ``code`` redeems (with the right verifier) for ``id_token``."""
        query = parse_qs(urlsplit(authorize_url).query)
        token = id_token if callable(id_token) else (lambda: id_token)
        self.codes[code] = Issued(query["code_challenge"][0], token)

    def token_requests(self) -> list[dict[str, str]]:
        return [r.form() for r in self.server.requests if r.path == "/token"]


def _respond(provider: Callable[[], FakeProvider]) -> Callable[[Request], Reply]:
    def respond(request: Request) -> Reply:
        fake = provider()
        if request.path == "/.well-known/openid-configuration":
            return Reply(body={"issuer": fake.issuer, "authorization_endpoint": f"{fake.issuer}/authorize",
                               "token_endpoint": f"{fake.issuer}/token", "jwks_uri": f"{fake.issuer}/jwks",
                               "userinfo_endpoint": f"{fake.issuer}/userinfo",
                               "id_token_signing_alg_values_supported": ["RS256"]})
        if request.path == "/jwks":
            return Reply(body=KeySet([KEY]).as_dict(private=False))
        if request.path == "/userinfo":
            if request.headers.get("authorization") != "Bearer at":
                return Reply(401, {"error": "invalid_token"})
            return Reply(body=fake.userinfo)
        if request.path == "/token":
            form = request.form()
            issued = fake.codes.pop(form.get("code", ""), None)
            if issued is None:
                return Reply(400, {"error": "invalid_grant", "error_description": "unknown or used code"})
            if challenge_of(form.get("code_verifier", "")) != issued.challenge:
                return Reply(400, {"error": "invalid_grant", "error_description": "code_verifier does not match"})
            return Reply(body={"access_token": "at", "token_type": "Bearer", "expires_in": 300,
                               "id_token": issued.id_token()})
        return Reply(404, {"error": "not_found"})

    return respond


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    holder: list[FakeProvider] = []
    with http_server(_respond(lambda: holder[0])) as server:
        holder.append(FakeProvider(server))
        yield holder[0]


def now_of(clock: Any) -> float:
    return float(clock.now().timestamp()) if clock is not None else time.time()
