"""Signing in and out of the web UI: the session cookie, CSRF, and where people land."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import WebSession
from warroom.api.app import create_app
from warroom.db.engine import Database
from warroom.runtime import Runtime

from .conftest import sign_in


def sessions(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(WebSession)) or 0)


def anonymous(runtime: Runtime, base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_app(runtime, run_engine=False), base_url=base_url, follow_redirects=False)


def test_pages_send_strangers_to_sign_in_and_back(runtime, people):
    with anonymous(runtime) as client:
        assert client.get("/").headers["location"] == "/login"
        response = client.get("/incidents/INC-1?before=5")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/incidents/INC-1%3Fbefore%3D5"
        page = client.get("/login?next=/incidents/INC-1")
        assert 'name="next" value="/incidents/INC-1"' in page.text
        assert client.get("/admin/users").status_code == 303


def test_sign_in_sets_an_httponly_lax_session_cookie(runtime, people):
    with anonymous(runtime) as client:
        response = sign_in(client, "alice")
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("warroom_session="))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # base_url is http in tests
        assert client.get("/", headers={"accept": "text/html"}).status_code == 200
    assert sessions(runtime) == 1


def test_sign_in_over_https_marks_the_cookie_secure(runtime, people):
    settings = runtime.settings.model_copy(update={"base_url": "https://warroom.example.com"})
    secure = Runtime(settings, Database(settings.resolved_database_url()), runtime.clock)
    try:
        with anonymous(secure, "https://testserver") as client:
            response = sign_in(client, "alice@example.com")
            cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("warroom_session="))
            assert "Secure" in cookie
    finally:
        secure.database.dispose()


def test_a_wrong_password_is_refused_and_starts_no_session(runtime, people):
    with anonymous(runtime) as client:
        response = sign_in(client, "alice", password="not-her-password")
        assert response.status_code == 401
        assert "Unknown user or wrong password." in response.text
        assert 'value="alice"' in response.text  # what was typed stays
    assert sessions(runtime) == 0


def test_repeated_wrong_passwords_make_that_address_wait_for_that_user_even_with_the_right_one(runtime, people,
                                                                                               clock):
    with anonymous(runtime) as client:
        for _ in range(5):
            assert sign_in(client, "alice", password="guess").status_code == 401
        refused = sign_in(client, "alice")
        assert refused.status_code == 429
        assert "Too many failed sign-ins for this user from this address; wait 30 seconds" in refused.text
        assert refused.headers["retry-after"] == "30"
    with anonymous(runtime) as client:
        assert sign_in(client, "bob").status_code == 303  # other people are not locked out
    clock.advance(timedelta(seconds=30))
    with anonymous(runtime) as client:
        assert sign_in(client, "alice").status_code == 303
    assert sessions(runtime) == 2


def test_a_good_sign_in_forgets_earlier_failures(runtime, people):
    with anonymous(runtime) as client:
        for _ in range(4):
            sign_in(client, "@Alice", password="guess")
        assert sign_in(client, "alice").status_code == 303
    with anonymous(runtime) as client:
        for _ in range(4):
            assert sign_in(client, "alice", password="guess").status_code == 401
        assert sign_in(client, "alice").status_code == 303


def test_many_failures_from_one_address_slow_every_login_from_it(runtime, people):
    with anonymous(runtime) as client:
        for n in range(20):
            assert sign_in(client, f"nobody{n}", password="guess").status_code == 401
        refused = sign_in(client, "bob")
        assert refused.status_code == 429
        assert "from this address" in refused.text


def test_sign_in_without_the_login_cookie_is_refused(runtime, people):
    with anonymous(runtime) as client:
        response = client.post("/login", data={"login": "alice", "password": "correct-horse-battery",
                                                "login_token": "forged"})
        assert response.status_code == 403
        assert "accept cookies" in response.text
    assert sessions(runtime) == 0


def test_after_sign_in_next_never_leaves_the_site(runtime, people):
    with anonymous(runtime) as client:
        client.get("/login")
        token = client.cookies.get("warroom_login")
        response = client.post("/login", data={"login": "bob", "password": "correct-horse-battery",
                                                "login_token": token, "next": "//evil.example/steal"})
        assert response.headers["location"] == "/"


def test_sign_out_needs_the_csrf_token_then_ends_the_session(browser, people, runtime):
    bob = browser(people.bob)
    refused = bob.post("/logout", csrf=False)
    assert refused.status_code == 403
    assert sessions(runtime) == 1
    response = bob.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert sessions(runtime) == 0
    assert bob.get("/").status_code == 303


def test_the_page_script_is_told_plainly_when_the_session_has_ended(runtime, people, factory):
    factory.incident(people.bob)
    with anonymous(runtime) as client:
        response = client.post("/incidents/INC-1/messages", data={"text": "still there?"},
                                headers={"accept": "application/json"})
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error": "Your session has ended: sign in again (reload the page)."}
        plain = client.post("/incidents/INC-1/messages", data={"text": "still there?"},
                            headers={"accept": "text/html"})
        assert plain.status_code == 303 and plain.headers["location"] == "/login"
