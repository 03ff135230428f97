"""`warroom users set-password` signs the person out of every browser; API tokens only with --revoke-tokens."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, WebSession
from warroom.api.app import create_app
from warroom.runtime import Runtime

from ..factories import PASSWORD
from ..web.conftest import sign_in


def signed_in_browser(runtime: Runtime, handle: str) -> TestClient:
    browser = TestClient(create_app(runtime, run_engine=False), follow_redirects=False)
    assert sign_in(browser, handle, PASSWORD).status_code == 303
    return browser


def sessions(runtime: Runtime) -> dict[int, int]:
    with runtime.database.reading() as db:
        query = sa.select(WebSession.user_id, sa.func.count()).group_by(WebSession.user_id)
        return dict(db.execute(query).tuples().all())


def test_set_password_ends_every_session_of_that_person_and_keeps_their_tokens(cli, runtime, factory, client):
    bob = factory.user("bob")
    carol = factory.user("carol", AccessRole.admin)
    token = factory.token(bob)
    browsers = [signed_in_browser(runtime, "bob"), signed_in_browser(runtime, "bob"),
                signed_in_browser(runtime, "carol")]
    try:
        assert sessions(runtime) == {bob.id: 2, carol.id: 1}
        said = cli.ok("users", "set-password", "@bob", "--password", "lantern-orbit-quiet")
        assert sessions(runtime) == {carol.id: 1}  # nobody else is signed out
        assert "Password of @bob set; 2 web sessions ended." in said
        for browser in browsers[:2]:
            assert browser.get("/", headers={"accept": "text/html"}).status_code == 303
        assert browsers[2].get("/", headers={"accept": "text/html"}).status_code == 200
    finally:
        for browser in browsers:
            browser.close()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200


def test_revoke_tokens_is_asked_for_out_loud(cli, factory, client):
    bob = factory.user("bob")
    tokens = [factory.token(bob), factory.token(bob)]
    said = cli.ok("users", "set-password", "bob", "--password", "lantern-orbit-quiet", "--revoke-tokens")
    assert "2 API tokens revoked." in said
    for token in tokens:
        assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_refused_password_signs_nobody_out(cli, runtime, factory):
    bob = factory.user("bob")
    browser = signed_in_browser(runtime, "bob")
    try:
        cli.fails("users", "set-password", "bob", "--password", "password123", says="most common passwords")
        cli.fails("users", "set-password", "bob", "--password", "bob-rocks-hard", says="contains the handle")
        assert sessions(runtime) == {bob.id: 1}
        assert browser.get("/", headers={"accept": "text/html"}).status_code == 200
    finally:
        browser.close()
