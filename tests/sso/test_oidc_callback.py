"""The OpenID Connect callback refuses every answer that is not this browser's own sign-in, plainly, never
with a 500: a wrong state, a foreign code (PKCE), a tampered or foreign-signed ID token, another audience or
issuer, an expired token, a replayed nonce. A good answer signs the person in, creating them just in time."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.api.app import create_app
from warroom.audit.models import AuditEntry
from warroom.runtime import Runtime
from warroom.sso.models import ExternalIdentity
from warroom.sso.providers import ProviderSettingInvalid

from .. import support
from ..factories import PASSWORD, Factory
from .provider import OTHER_KEY, FakeProvider, challenge_of, fake_provider, sign


@pytest.fixture
def corp(runtime: Runtime) -> Iterator[FakeProvider]:
    with fake_provider() as provider:
        runtime.settings.oidc_providers = provider.setting()
        yield provider


@pytest.fixture
def web(runtime: Runtime, corp: FakeProvider) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, run_engine=False), base_url="http://warroom.test",
                    follow_redirects=False) as client:
        yield client


def start(web: TestClient) -> str:
    response = web.get("/sso/corp/start?next=/alerts")
    assert response.status_code == 303, response.text
    return response.headers["location"]


def callback(web: TestClient, authorize_url: str, code: str = "code-1", **params: str) -> httpx.Response:
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    return web.get("/sso/corp/callback", params={"code": code, "state": state, **params},
                   headers={"accept": "text/html"})


def now(runtime: Runtime) -> float:
    return runtime.clock.now().timestamp()


def b64json(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text[:400]
    assert words in response.text
    assert "warroom_session=" not in response.headers.get("set-cookie", "")


def test_a_good_answer_creates_the_person_just_in_time_with_their_groups(runtime, corp, web):
    url = start(web)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{corp.issuer}/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"] == [
        "http://warroom.test/sso/corp/callback"]
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime))))

    response = callback(web, url)

    assert response.status_code == 303, response.text[:400]
    assert response.headers["location"] == "/alerts"
    token_request = corp.token_requests()[0]
    assert challenge_of(token_request["code_verifier"]) == query["code_challenge"][0]
    assert web.get("/", headers={"accept": "text/html"}).status_code == 200
    with runtime.database.reading() as db:
        dana = db.scalar(sa.select(User).where(User.email == "dana@example.com"))
        assert dana is not None and dana.handle == "dana" and dana.access_role is AccessRole.responder
        actions = set(db.scalars(sa.select(AuditEntry.action)))
        assert {"sso.jit_create", "user.sign_in", "team.add_member"} <= actions
        assert db.scalar(sa.select(ExternalIdentity.subject)) == "corp|dana"


def test_the_groups_set_access_and_teams_at_every_sign_in(runtime, corp, web):
    with TestClient(create_app(runtime, run_engine=False), base_url="http://warroom.test",
                    follow_redirects=False) as other:
        url = start(other)
        corp.issue("code-1", url, sign(corp.claims(url, now(runtime), groups=["sre", "ir-leads"])))
        assert callback(other, url).status_code == 303
    url = start(web)
    corp.issue("code-2", url, sign(corp.claims(url, now(runtime), groups=[])))
    assert callback(web, url, code="code-2").status_code == 303
    with runtime.database.reading() as db:
        dana = db.scalar(sa.select(User).where(User.handle == "dana"))
        assert dana is not None and dana.access_role is AccessRole.viewer  # in no group: the default
        assert db.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 1
        assert accounts.teams_of(db=db, user_id=dana.id) == []  # engineering was sre's: left with the group


def test_groups_left_out_of_the_id_token_are_read_from_userinfo_for_the_same_subject(runtime, corp, web):
    corp.userinfo = {"sub": "corp|dana", "groups": ["ir-leads"], "email": "elsewhere@example.com"}
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), groups=None)))
    assert callback(web, url).status_code == 303
    with runtime.database.reading() as db:
        dana = db.scalar(sa.select(User).where(User.handle == "dana"))
        assert dana is not None and dana.access_role is AccessRole.admin
        assert dana.email == "dana@example.com"  # the ID token's own claims win

    corp.userinfo = {"sub": "corp|someone-else", "groups": ["ir-leads"]}
    url = start(web)
    corp.issue("code-2", url, sign(corp.claims(url, now(runtime), groups=None)))
    assert callback(web, url, code="code-2").status_code == 303
    with runtime.database.reading() as db:
        dana = db.scalar(sa.select(User).where(User.handle == "dana"))
        assert dana is not None and dana.access_role is AccessRole.viewer  # another subject's answer is ignored


def test_a_mapping_of_teams_only_leaves_access_as_admins_set_it(runtime, corp, web, factory: Factory):
    runtime.settings.oidc_providers = corp.setting(groups={"sre": {"team": "engineering"}})
    dana = factory.user("dana", AccessRole.admin)
    with runtime.database.writing() as db:
        person = db.get(User, dana.id)
        assert person is not None
        person.email = "dana@example.com"
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime))))
    assert callback(web, url).status_code == 303
    with runtime.database.reading() as db:
        person = db.get(User, dana.id)
        assert person is not None and person.access_role is AccessRole.admin
        assert [t.slug for t in accounts.teams_of(db=db, user_id=dana.id)] == ["engineering"]


def test_a_state_that_is_not_this_browsers_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime))))
    response = web.get("/sso/corp/callback", params={"code": "code-1", "state": "forged"},
                       headers={"accept": "text/html"})
    refused(response, 400, "state differs")
    assert corp.token_requests() == []  # the code was never redeemed


def test_an_answer_without_the_browsers_sign_in_cookie_is_refused(corp, web, runtime):
    url = start(web)
    web.cookies.clear()
    refused(callback(web, url), 400, "not started in this browser")


def test_a_code_issued_for_another_sign_in_fails_pkce(corp, web, runtime):
    with TestClient(create_app(runtime, run_engine=False), base_url="http://warroom.test",
                    follow_redirects=False) as attacker:
        theirs = start(attacker)
    mine = start(web)
    corp.issue("stolen", theirs, sign(corp.claims(mine, now(runtime))))  # bound to the other sign-in's challenge
    refused(callback(web, mine, code="stolen"), 401, "code_verifier does not match")


def test_a_nonce_from_another_sign_in_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), nonce="replayed")))
    refused(callback(web, url), 401, "nonce differs")


def test_a_tampered_id_token_is_refused(corp, web, runtime):
    url = start(web)
    header, payload, signature = sign(corp.claims(url, now(runtime))).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["groups"] = ["ir-leads"]  # promote oneself to admin
    corp.issue("code-1", url, f"{header}.{b64json(claims)}.{signature}")
    refused(callback(web, url), 401, "not signed by one of its published keys")


def test_an_unsigned_id_token_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, f"{b64json({'alg': 'none'})}.{b64json(corp.claims(url, now(runtime)))}.")
    refused(callback(web, url), 401, "not signed by one of its published keys")


def test_an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime)), OTHER_KEY))
    refused(callback(web, url), 401, "not signed by one of its published keys")


def test_an_id_token_for_another_application_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), aud="someone-elses-app")))
    refused(callback(web, url), 401, "for another application")


def test_an_id_token_from_another_issuer_is_refused(corp, web, runtime):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), iss="https://evil.example")))
    refused(callback(web, url), 401, "not by Corp SSO")


def test_an_expired_id_token_is_refused(corp, web, runtime):
    url = start(web)
    issued = now(runtime) - 3600
    corp.issue("code-1", url, sign(corp.claims(url, issued, iat=int(issued), exp=int(issued) + 300)))
    refused(callback(web, url), 401, "expired at")


def test_a_sign_in_older_than_ten_minutes_is_refused(corp, web, runtime):
    url = start(web)
    runtime.clock.advance(timedelta(minutes=11))
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime))))
    refused(callback(web, url), 400, "more than 10 minutes")


def test_the_providers_own_refusal_is_shown(corp, web):
    url = start(web)
    state = parse_qs(urlsplit(url).query)["state"][0]
    response = web.get("/sso/corp/callback", params={"error": "access_denied", "state": state,
                                                     "error_description": "You denied access"})
    refused(response, 401, "Corp SSO did not sign you in: You denied access.")


def test_someone_in_no_admitted_group_is_refused_when_the_default_is_none(runtime, corp, web):
    runtime.settings.oidc_providers = corp.setting(default_access="none")
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), groups=["marketing"])))
    refused(callback(web, url), 403, "in none of the groups Warroom admits")
    assert support.count(runtime, "users") == 0


def test_a_deactivated_person_is_refused(runtime, corp, web, factory: Factory):
    dana = factory.user("dana")
    with runtime.database.writing() as db:
        person = db.get(User, dana.id)
        assert person is not None
        person.email, person.is_active = "dana@example.com", False
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime))))
    refused(callback(web, url), 403, "deactivated")


def test_an_answer_warroom_cannot_keep_is_refused_not_a_500(runtime, corp, web):
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), sub="s" * 300)))
    refused(callback(web, url), 403, "longer than Warroom keeps")
    url = start(web)
    corp.issue("code-2", url, sign(corp.claims(url, now(runtime), email="not-an-address")))
    refused(callback(web, url, code="code-2"), 403, "cannot make an account")
    assert support.count(runtime, "users") == 0


def test_an_unverified_email_does_not_take_over_an_existing_account(runtime, corp, web, factory: Factory):
    dana = factory.user("dana")
    with runtime.database.writing() as db:
        person = db.get(User, dana.id)
        assert person is not None
        person.email = "dana@example.com"
    url = start(web)
    corp.issue("code-1", url, sign(corp.claims(url, now(runtime), email_verified=None)))
    refused(callback(web, url), 403, "does not say the address is verified")


def test_an_unreachable_provider_answers_503_with_retry_after(runtime, web):
    nobody = f"http://127.0.0.1:{support.free_port()}"
    runtime.settings.oidc_providers = f'[{{"name": "corp", "issuer": "{nobody}", "client_id": "x"}}]'
    response = web.get("/sso/corp/start", headers={"accept": "text/html"})
    assert response.status_code == 503 and response.headers["retry-after"] == "30"
    assert "cannot be reached" in response.text


def test_an_unknown_provider_is_404_with_a_hint(web):
    response = web.get("/sso/nope/start", headers={"accept": "text/html"})
    refused(response, 404, "No sign-in provider &#39;nope&#39;")


def test_with_password_sign_in_off_the_page_offers_only_the_providers(runtime, corp, web, factory: Factory):
    runtime.settings.password_signin = False
    alice = factory.user("alice")
    page = web.get("/login")
    assert 'href="/sso/corp/start"' in page.text and "Sign in with Corp SSO" in page.text
    assert 'name="password"' not in page.text
    token = web.cookies.get("warroom_login") or ""
    response = web.post("/login", data={"login": alice.handle, "password": "whatever-long-enough",
                                        "login_token": token, "next": "/"})
    refused(response, 403, "Password sign-in is turned off")


def test_password_sign_in_stays_on_while_no_provider_is_set_up(runtime, factory: Factory):
    runtime.settings.password_signin = False
    alice = factory.user("alice")
    with TestClient(create_app(runtime, run_engine=False), follow_redirects=False) as web:
        assert 'name="password"' in web.get("/login").text
        token = web.cookies.get("warroom_login") or ""
        response = web.post("/login", data={"login": alice.handle, "password": PASSWORD, "login_token": token,
                                            "next": "/"})
        assert response.status_code == 303


def test_a_mistyped_provider_setting_stops_start_up_saying_where(runtime):
    runtime.settings.oidc_providers = '[{"name": "Corp SSO", "issuer": "corp.example", "client_id": "x"}]'
    with pytest.raises(ProviderSettingInvalid, match=r"WARROOM_OIDC_PROVIDERS\[0\]: name: .*issuer: "):
        create_app(runtime, run_engine=False)
