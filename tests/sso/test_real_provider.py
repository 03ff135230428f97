"""Sign-in through a real OpenID Connect provider running as its own process (oidc-provider-mock): the redirect
flow followed by plain HTTP, and in headless Chromium. The provider signs the ID token with its own key, so the
JWKS, issuer, audience, expiry and nonce checks run against a real provider's tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.config import Settings
from warroom.core.clock import Clock, FakeClock, SystemClock
from warroom.db.engine import Database
from warroom.runtime import Runtime

from .. import support
from ..support.oidc import oidc_provider_process
from ..web.conftest import chromium  # noqa: F401  (the suite's headless Chromium fixture)

DANA = {"sub": "dana", "email": "dana@example.com", "email_verified": True, "name": "Dana Scully",
        "preferred_username": "dana", "groups": ["sre", "ir-leads"]}


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[str]:
    with oidc_provider_process([DANA], tmp_path) as url:
        yield url


@contextmanager
def warroom(settings: Settings, issuer: str, clock: Clock) -> Iterator[support.LiveServer]:
    """Warroom signing in with the provider at ``issuer``, password sign-in off."""
    provider = {"name": "corp", "label": "Corp SSO", "issuer": issuer, "client_id": "warroom",
                "client_secret": "not-checked-by-this-provider",
                "groups": {"sre": {"team": "engineering", "access": "responder"}, "ir-leads": {"access": "admin"}}}
    configured = settings.model_copy(update={"oidc_providers": json.dumps([provider]), "password_signin": False})
    runtime = Runtime(configured, Database(configured.resolved_database_url()), clock)
    try:
        with support.live_server(runtime) as server:
            runtime.settings.base_url = server.url  # the callback URL the provider sends the browser back to
            yield server
    finally:
        runtime.database.dispose()


@pytest.fixture
def live(settings: Settings, issuer: str) -> Iterator[support.LiveServer]:
    """On the real clock: the provider's tokens carry real times."""
    with warroom(settings, issuer, SystemClock()) as server:
        yield server


def _dana(runtime: Runtime) -> tuple[User, list[str]]:
    with runtime.database.reading() as db:
        dana = db.scalar(sa.select(User).where(User.email == "dana@example.com"))
        assert dana is not None
        return dana, [t.slug for t in accounts.teams_of(db=db, user_id=dana.id)]


def test_the_redirect_flow_through_a_real_provider_signs_in_and_creates_the_person(live, issuer):
    with httpx.Client(base_url=live.url) as browser:
        to_provider = browser.get("/sso/corp/start?next=/alerts")
        assert to_provider.status_code == 303
        authorize = to_provider.headers["location"]
        assert authorize.startswith(f"{issuer}/oauth2/authorize?")
        chosen = browser.post(authorize, data={"sub": "dana"})  # the provider's "sign in as" form
        assert chosen.status_code == 302, chosen.text[:300]
        back = browser.get(urljoin(authorize, chosen.headers["location"]))
        assert back.status_code == 303, back.text[:600]
        assert back.headers["location"] == "/alerts"
        assert browser.get("/alerts", headers={"accept": "text/html"}).status_code == 200

        replayed = browser.get(urljoin(authorize, chosen.headers["location"]), headers={"accept": "text/html"})
        assert replayed.status_code == 400 and "not started in this browser" in replayed.text

    dana, teams = _dana(live.runtime)
    assert dana.handle == "dana" and dana.access_role is AccessRole.admin and teams == ["engineering"]


def test_a_code_replayed_into_another_browsers_sign_in_is_refused(live, issuer):
    with httpx.Client(base_url=live.url) as attacker, httpx.Client(base_url=live.url) as victim:
        stolen_from = attacker.get("/sso/corp/start").headers["location"]
        code_answer = attacker.post(stolen_from, data={"sub": "dana"}).headers["location"]
        code = httpx.URL(code_answer).params["code"]
        victims = httpx.URL(victim.get("/sso/corp/start").headers["location"])
        forged = victim.get("/sso/corp/callback", params={"code": code, "state": victims.params["state"]},
                            headers={"accept": "text/html"})
        # The provider redeems the code (it does not check PKCE), but the ID token's nonce is the attacker's.
        assert forged.status_code == 401 and "nonce differs" in forged.text
        assert "warroom_session" not in victim.cookies


def test_a_real_providers_token_is_refused_once_expired(settings, issuer):
    two_hours_on = FakeClock(datetime.now(UTC) + timedelta(hours=2))  # its tokens last an hour
    with warroom(settings, issuer, two_hours_on) as live, httpx.Client(base_url=live.url) as browser:
        authorize = browser.get("/sso/corp/start").headers["location"]
        answer = browser.post(authorize, data={"sub": "dana"}).headers["location"]
        back = browser.get(urljoin(authorize, answer), headers={"accept": "text/html"})
        assert back.status_code == 401 and "expired at" in back.text
        assert "warroom_session" not in browser.cookies


@pytest.mark.browser
def test_signing_in_with_the_provider_in_a_browser(live, chromium):  # noqa: F811
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/login")
    expect(page.get_by_label("Password")).to_have_count(0)  # password sign-in is off: only the provider
    page.get_by_role("link", name="Sign in with Corp SSO").click()
    page.get_by_role("button", name="dana").click()  # the provider's predefined person
    expect(page).to_have_url(live.url + "/")
    assert page.context.cookies(live.url)[0]["httpOnly"]
    assert any(c["name"] == "warroom_session" for c in page.context.cookies(live.url))
    assert errors == []
    context.close()
    dana, _ = _dana(live.runtime)
    assert dana.is_active
