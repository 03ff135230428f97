"""Sign-in and sessions, hardened: a new password signs the person out elsewhere, a refused sign-in costs the
same work whether or not the person exists, guessing slows the guesser and not the owner, X-Forwarded-For is
believed only from configured proxies, and passwords are checked.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, TokenScope, User, WebSession
from warroom.api.app import create_app
from warroom.config import Settings
from warroom.core import security
from warroom.core.proxies import client_address, proxy_networks
from warroom.core.security import verify_password
from warroom.db.engine import Database
from warroom.runtime import Runtime

from ..api.conftest import assert_problem, stored
from ..factories import PASSWORD, Factory
from .conftest import sign_in

NEW_PASSWORD = "lantern-orbit-quiet"


def sessions_of(runtime: Runtime, user: User) -> int:
    with runtime.database.reading() as db:
        query = sa.select(sa.func.count()).select_from(WebSession).where(WebSession.user_id == user.id)
        return int(db.scalar(query) or 0)


def password_is(runtime: Runtime, user: User, password: str) -> bool:
    with runtime.database.reading() as db:
        stored_hash = db.scalar(sa.select(User.password_hash).where(User.id == user.id))
    return stored_hash is not None and verify_password(password, stored_hash)


def from_address(runtime: Runtime, address: str, base_url: str = "http://testserver") -> TestClient:
    """A browser whose connection comes from ``address``."""
    return TestClient(create_app(runtime, run_engine=False), base_url=base_url, follow_redirects=False,
                      client=(address, 50000))


def me(client: TestClient, token: str) -> int:
    return client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.fixture
def with_settings(runtime: Runtime) -> Iterator[Any]:
    """``with_settings(**changes)``: another runtime on the same database and clock, with changed settings."""
    made: list[Runtime] = []

    def make(**changes: Any) -> Runtime:
        settings = runtime.settings.model_copy(update=changes)
        other = Runtime(settings, Database(settings.resolved_database_url()), runtime.clock)
        made.append(other)
        return other

    yield make
    for other in made:
        other.database.dispose()


# A new password ends the other sessions ---------------------------------------------------------------------


def test_changing_your_password_signs_out_your_other_browsers_but_not_this_one(browser, people, runtime,
                                                                                factory, client):
    here, there = browser(people.bob), browser(people.bob)
    token = factory.token(people.bob)
    assert sessions_of(runtime, people.bob) == 2

    response = here.post("/profile/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/profile"
    page = here.get("/profile")
    assert page.status_code == 200
    assert "Password changed; signed out 1 other session" in page.text
    assert there.get("/profile").status_code == 303  # off to the sign-in page
    assert sessions_of(runtime, people.bob) == 1
    assert me(client, token) == 200  # API tokens are separate credentials: not revoked silently
    assert password_is(runtime, people.bob, NEW_PASSWORD)


def test_a_wrong_current_password_or_a_mistyped_confirmation_changes_nothing(browser, people, runtime):
    here, there = browser(people.bob), browser(people.bob)
    wrong = here.post("/profile/password", {"current_password": "not-my-password", "new_password": NEW_PASSWORD,
                                            "confirm_password": NEW_PASSWORD})
    assert wrong.status_code == 422
    assert "The current password is not right" in wrong.text
    assert NEW_PASSWORD not in wrong.text
    mistyped = here.post("/profile/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "confirm_password": NEW_PASSWORD + "x"})
    assert mistyped.status_code == 422
    assert "differ" in mistyped.text
    assert password_is(runtime, people.bob, PASSWORD)
    assert sessions_of(runtime, people.bob) == 2
    assert there.get("/profile").status_code == 200


def test_an_admin_reset_signs_the_person_out_everywhere_and_revokes_tokens_only_when_asked(browser, people,
                                                                                           runtime, factory,
                                                                                           client):
    first, second = browser(people.bob), browser(people.bob)
    admin = browser(people.alice)
    token = factory.token(people.bob)

    response = admin.post("/admin/users/password", {"who": "@bob", "password": NEW_PASSWORD})
    assert response.status_code == 303, response.text
    assert sessions_of(runtime, people.bob) == 0
    assert first.get("/profile").status_code == 303
    assert second.get("/profile").status_code == 303
    assert sessions_of(runtime, people.alice) == 1  # the admin's own session is not touched
    assert me(client, token) == 200
    assert password_is(runtime, people.bob, NEW_PASSWORD)

    again = admin.post("/admin/users/password", {"who": "bob", "password": "second-" + NEW_PASSWORD,
                                                 "revoke_tokens": "1"})
    assert again.status_code == 303
    assert me(client, token) == 401


def test_only_admins_reset_other_peoples_passwords(browser, people, runtime):
    carol = browser(people.carol)
    refused = carol.post("/admin/users/password", {"who": "bob", "password": NEW_PASSWORD})
    assert refused.status_code == 403
    assert password_is(runtime, people.bob, PASSWORD)


# A refused sign-in costs the same whether or not the person exists ---------------------------------------------


def test_unknown_and_existing_logins_do_the_same_scrypt_work(runtime, people, factory, monkeypatch):
    factory.user("tokens-only", password=None)  # exists, but has no password to sign in with
    real = hashlib.scrypt
    calls: list[tuple[int, int, int]] = []

    def counted(password: bytes, **kwargs: Any) -> bytes:
        calls.append((kwargs["n"], kwargs["r"], kwargs["p"]))
        return real(password, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    work = {}
    with from_address(runtime, "192.0.2.10") as client:
        for login in ("alice", "alice@example.com", "nobody", "nobody@example.com", "tokens-only"):
            calls.clear()
            assert sign_in(client, login, password="wrong-password").status_code == 401
            work[login] = list(calls)
    one_kdf = [(security._SCRYPT_N, security._SCRYPT_R, security._SCRYPT_P)]
    assert work == dict.fromkeys(work, one_kdf)


# Guessing slows the guesser, not the owner ----------------------------------------------------------------------


def test_a_guesser_hammering_a_name_never_locks_out_its_owner(runtime, people):
    with from_address(runtime, "203.0.113.66") as attacker:
        answers = [sign_in(attacker, "alice", password=f"guess-{n}") for n in range(30)]
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}  # after five, the guesser waits
    assert int(answers[-1].headers["retry-after"]) > 0
    with from_address(runtime, "198.51.100.7") as laptop:
        assert sign_in(laptop, "alice").status_code == 303  # the owner, from an address that was not failing


def test_the_guessers_wait_doubles_with_each_further_failure(runtime, people, clock):
    with from_address(runtime, "203.0.113.66") as attacker:
        for _ in range(5):
            assert sign_in(attacker, "alice", password="guess").status_code == 401
        first = sign_in(attacker, "alice", password="guess")
        assert (first.status_code, first.headers["retry-after"]) == (429, "30")
        assert "wait 30 seconds" in first.text
        clock.advance(timedelta(seconds=30))
        assert sign_in(attacker, "alice", password="guess").status_code == 401
        second = sign_in(attacker, "alice", password="guess")
        assert (second.status_code, second.headers["retry-after"]) == (429, "60")
        clock.advance(timedelta(seconds=60))
        assert sign_in(attacker, "alice").status_code == 303


def test_many_addresses_guessing_one_name_are_slowed_while_a_fresh_address_signs_in(runtime, people):
    app = create_app(runtime, run_engine=False)
    guessers = [TestClient(app, follow_redirects=False, client=(f"203.0.113.{n}", 50000)) for n in range(1, 13)]
    try:
        for guesser in guessers:
            assert sign_in(guesser, "alice", password="guess").status_code == 401
        again = sign_in(guessers[0], "alice", password="guess")
        assert again.status_code == 429
        assert "for this user" in again.text
    finally:
        for guesser in guessers:
            guesser.close()
    with from_address(runtime, "198.51.100.7") as laptop:
        assert sign_in(laptop, "alice").status_code == 303


def test_signing_in_to_an_account_of_your_own_does_not_clear_your_addresses_failures(runtime, people):
    with from_address(runtime, "203.0.113.66") as attacker:
        for n in range(19):
            assert sign_in(attacker, f"someone{n}", password="guess").status_code == 401
        assert sign_in(attacker, "carol").status_code == 303  # the guesser's own account
        attacker.cookies.clear()
        assert sign_in(attacker, "someone-else", password="guess").status_code == 401
        refused = sign_in(attacker, "bob")
        assert refused.status_code == 429
        assert "from this address" in refused.text


# X-Forwarded-For only from trusted proxies ----------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_from_a_client_that_is_not_a_trusted_proxy(with_settings, people):
    runtime = with_settings(trusted_proxies="10.0.0.0/8")
    with from_address(runtime, "127.0.0.1") as local:  # a local client is not a proxy unless configured
        for n in range(20):
            local.headers["x-forwarded-for"] = f"198.51.100.{n}"
            assert sign_in(local, f"nobody{n}", password="guess").status_code == 401
        local.headers["x-forwarded-for"] = "198.51.100.200"
        refused = sign_in(local, "bob")
        assert refused.status_code == 429
        assert "from this address" in refused.text


def test_behind_a_trusted_proxy_each_client_address_has_its_own_count(with_settings, people):
    runtime = with_settings(trusted_proxies="10.0.0.0/8, 192.0.2.1")
    with from_address(runtime, "10.0.0.2") as proxy:
        for n in range(20):  # the left part is the client's own claim, so it is ignored
            proxy.headers["x-forwarded-for"] = f"1.2.3.{n}, 203.0.113.66"
            assert sign_in(proxy, f"nobody{n}", password="guess").status_code == 401
        proxy.headers["x-forwarded-for"] = "5.6.7.8, 203.0.113.66"
        assert sign_in(proxy, "bob").status_code == 429
        proxy.cookies.clear()
        proxy.headers["x-forwarded-for"] = "203.0.113.67, 192.0.2.1"  # a second proxy hop, also trusted
        assert sign_in(proxy, "bob").status_code == 303


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a proxy: its header is its own claim
    ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
    ("10.0.0.2", ["spoofed, 198.51.100.1"], "198.51.100.1"),
    ("10.0.0.2", ["198.51.100.1, 10.0.0.3"], "198.51.100.1"),
    ("10.0.0.2", ["198.51.100.1", "10.0.0.3"], "198.51.100.1"),  # the header repeated
    ("10.0.0.2", [], "10.0.0.2"),
    ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),  # every hop a proxy: the first
    ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
])
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(peer, forwarded, expected):
    assert client_address(peer, forwarded, proxy_networks("10.0.0.0/8")) == expected


def test_no_proxy_is_trusted_unless_configured_and_a_bad_entry_is_refused_by_name(settings):
    assert client_address("127.0.0.1", ["198.51.100.1"], settings.trusted_proxy_networks()) == "127.0.0.1"
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33' is not an IP address or CIDR block")):
        Settings(trusted_proxies="10.0.0.1, 10.0.0.0/33")


def test_serve_leaves_x_forwarded_for_to_warroom_not_to_uvicorn(monkeypatch, tmp_path, settings):
    from typer.testing import CliRunner

    import warroom.cli.serve as serve_module
    from warroom.cli.main import app
    from warroom.config import get_settings

    given: list[Any] = []
    monkeypatch.setattr(serve_module, "run_server", given.append)
    monkeypatch.setenv("WARROOM_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("WARROOM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WARROOM_SEED_DEMO", "false")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--port", "0"], prog_name="warroom")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert [config.proxy_headers for config in given] == [False]


# Password policy, everywhere a password is set ------------------------------------------------------------------


REFUSED = [
    ("short1!", "at least 8 characters"),
    ("Baseball", "most common passwords"),
    ("sunshine", "most common passwords"),
    ("i-am-bob-2026", "contains the handle ('bob')"),
    ("robert.smith!", "contains the name of the email address ('robert.smith')"),
]


@pytest.mark.parametrize(("password", "says"), REFUSED)
def test_the_admin_reset_refuses_weak_passwords_and_says_why(browser, people, runtime, password, says):
    with runtime.database.writing() as db:
        db.get(User, people.bob.id).email = "robert.smith@example.com"  # type: ignore[union-attr]
    admin = browser(people.alice)
    response = admin.post("/admin/users/password", {"who": "bob", "password": password})
    assert response.status_code == 422
    assert says in response.text.replace("&#39;", "'")
    assert password_is(runtime, people.bob, PASSWORD)


@pytest.mark.parametrize(("password", "says"), REFUSED)
def test_the_api_refuses_weak_passwords_for_new_people_and_writes_nothing(client, factory, runtime, password,
                                                                            says):
    admin = factory.user("alice", AccessRole.admin)
    token = factory.token(admin, TokenScope.admin)
    before = stored(runtime)
    response = client.post("/api/v1/users", headers={"Authorization": f"Bearer {token}"},
                           json={"handle": "bob", "email": "robert.smith@example.com", "name": "Bob",
                                 "password": password})
    assert_problem(response, 422, contains=says, field="password")
    assert stored(runtime) == before


def test_the_profile_refuses_a_common_new_password(browser, people, runtime):
    here, there = browser(people.bob), browser(people.bob)
    response = here.post("/profile/password", {"current_password": PASSWORD, "new_password": "trustno1",
                                               "confirm_password": "trustno1"})
    assert response.status_code == 422
    assert "most common passwords" in response.text
    assert sessions_of(runtime, people.bob) == 2
    assert there.get("/profile").status_code == 200


def test_good_passwords_and_the_demo_password_are_accepted(factory: Factory, runtime):
    from warroom.demo import DEMO_PASSWORD

    for handle in ("alice", "bob", "carol", "dan", "erin", "pat", "vic"):
        factory.user(f"demo-{handle}", password=DEMO_PASSWORD)
    factory.user("al", password="al-the-pal-sings")  # two letters are not a guessable handle
    factory.user("zed", password=PASSWORD)
