"""Playbooks, API tokens and the admin pages."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, ApiToken
from warroom.audit.models import AuditEntry
from warroom.engine import queue
from warroom.engine.models import Job, JobState
from warroom.playbooks import service as playbooks
from warroom.runtime import Runtime

from .conftest import counts

BODY = "# When checkout breaks\n\n<script>alert(1)</script>\n\n- [ ] Roll back\n- [ ] Tell the room\n"


def playbook_slugs(runtime: Runtime) -> list[str]:
    with runtime.database.reading() as db:
        return [p.slug for p in playbooks.list_playbooks(db=db)]


# Playbooks -------------------------------------------------------------------------------------------


def test_playbooks_are_listed_and_rendered_from_markdown_with_html_off(browser, people, factory, runtime):
    factory.playbooks()
    bob = browser(people.bob)
    listing = bob.get("/playbooks")
    assert 'href="/playbooks/roll-back-a-bad-deploy"' in listing.text
    assert "5 steps" in listing.text
    bob.post("/playbooks/new", {"slug": "checkout-broken", "title": "Checkout broken", "body_md": BODY,
                                "services": "checkout, api", "keywords": "checkout, payment"})
    page = bob.get("/playbooks/checkout-broken")
    assert "<h1>When checkout breaks</h1>" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script>alert(1)" not in page.text
    assert '<li class="task">☐ Roll back</li>' in page.text
    assert "2 checklist steps" in page.text


def test_creating_a_playbook_then_editing_it(browser, people, runtime):
    bob = browser(people.bob)
    response = bob.post("/playbooks/new", {"slug": "dns-outage", "title": "DNS outage",
                                           "body_md": "- [ ] Check the resolver", "services": "dns"})
    assert response.status_code == 303
    assert response.headers["location"] == "/playbooks/dns-outage"
    edit = bob.get("/playbooks/dns-outage/edit")
    assert 'value="dns-outage"' in edit.text and "readonly" in edit.text
    bob.post("/playbooks/dns-outage/edit", {"title": "DNS outage (internal)", "body_md": "- [ ] Check it",
                                            "services": "dns, resolver", "keywords": ""})
    with runtime.database.reading() as db:
        saved = playbooks.get_playbook(db=db, slug="dns-outage")
        assert (saved.title, saved.services) == ("DNS outage (internal)", ["dns", "resolver"])


def test_a_bad_playbook_is_refused_with_what_was_typed_and_nothing_is_written(browser, people, runtime):
    bob = browser(people.bob)
    before = counts(runtime)
    page = bob.post("/playbooks/new", {"slug": "Bad Slug!", "title": "Something", "body_md": "text"})
    assert page.status_code == 422
    assert "A playbook slug is lowercase letters, digits and &#39;-&#39;." in page.text
    assert 'value="Something"' in page.text
    assert playbook_slugs(runtime) == []
    assert counts(runtime) == before
    assert bob.get("/playbooks/nope").status_code == 404


def test_viewers_read_playbooks_but_cannot_write_them(browser, people, factory, runtime):
    factory.playbooks()
    vic = browser(people.vic)
    assert vic.get("/playbooks/roll-back-a-bad-deploy").status_code == 200
    assert "New playbook" not in vic.get("/playbooks").text
    form = vic.get("/playbooks/new")
    assert "Viewers cannot change playbooks." in form.text
    response = vic.post("/playbooks/new", {"slug": "x-files", "title": "X", "body_md": "x"})
    assert response.status_code == 403
    assert "has viewer access" in response.text
    assert "x-files" not in playbook_slugs(runtime)


# API tokens ------------------------------------------------------------------------------------------


def tokens(runtime: Runtime) -> list[ApiToken]:
    with runtime.database.reading() as db:
        return accounts.list_tokens(db=db)


def test_a_token_is_shown_once_and_stored_hashed(browser, people, runtime):
    bob = browser(people.bob)
    page = bob.post("/settings/tokens", {"name": "deploy script", "scope": "write"})
    assert page.status_code == 201
    secret = page.text.split('id="new-secret" class="mono" value="')[1].split('"')[0]
    assert secret.startswith("wr_")
    assert "will not be shown again" in page.text
    [token] = tokens(runtime)
    assert token.token_hash != secret and secret not in token.token_hash
    assert secret not in bob.get("/settings/tokens").text
    assert f"<code>{token.prefix}…</code>" in bob.get("/settings/tokens").text


def test_a_token_cannot_exceed_its_owner_and_needs_a_name(browser, people, runtime):
    vic = browser(people.vic)
    form = vic.get("/settings/tokens")
    assert '<option value="write"' not in form.text
    refused = vic.post("/settings/tokens", {"name": "mine", "scope": "write"})
    assert refused.status_code == 422
    assert "a token cannot have more" in refused.text
    nameless = vic.post("/settings/tokens", {"name": " ", "scope": "read"})
    assert "Give the token a name" in nameless.text
    assert tokens(runtime) == []


def test_revoking_and_who_sees_which_tokens(browser, people, runtime, factory):
    factory.token(people.carol)
    bob = browser(people.bob)
    bob.post("/settings/tokens", {"name": "laptop", "scope": "read"})
    bobs, carols = sorted(tokens(runtime), key=lambda t: t.user_id != people.bob.id)
    assert "laptop" in bob.get("/settings/tokens").text
    assert f"/settings/tokens/{carols.id}/revoke" not in bob.get("/settings/tokens").text
    refused = bob.post(f"/settings/tokens/{carols.id}/revoke")
    assert refused.status_code == 403
    assert bob.post(f"/settings/tokens/{bobs.id}/revoke").status_code == 303
    assert "Revoked token “laptop”" in bob.get("/settings/tokens").text
    alice = browser(people.alice)
    everyone = alice.get("/settings/tokens").text
    assert "@carol" in everyone and "@bob" in everyone
    alice.post("/settings/tokens", {"name": "for carol", "scope": "read", "user": "@carol"})
    assert {t.name for t in tokens(runtime) if t.revoked_at is None} == {"test", "for carol"}


# Admin -----------------------------------------------------------------------------------------------


def test_admin_pages_are_for_admins(browser, people):
    bob = browser(people.bob)
    for path in ("/admin/users", "/admin/teams", "/admin/audit", "/admin/jobs"):
        response = bob.get(path)
        assert response.status_code == 403, path
        assert "this needs admin" in response.text
    refused = bob.post("/admin/users", {"handle": "mallory", "email": "m@example.com", "name": "M",
                                        "access_role": "admin"})
    assert refused.status_code == 403
    assert 'href="/admin/users"' not in bob.get("/").text
    alice = browser(people.alice)
    for path in ("/admin/users", "/admin/teams", "/admin/audit", "/admin/jobs"):
        assert alice.get(path).status_code == 200, path


def test_admins_add_people_and_change_their_access(browser, people, runtime):
    alice = browser(people.alice)
    response = alice.post("/admin/users", {"handle": "dan", "email": "dan@example.com", "name": "Dan Security",
                                           "password": "long-enough-password", "access_role": "responder"})
    assert response.status_code == 303
    assert "Created @dan (responder)" in alice.get("/admin/users").text
    alice.post("/admin/users/dan/access", {"access_role": "viewer"})
    with runtime.database.reading() as db:
        assert accounts.find_person(db=db, who="dan").access_role is AccessRole.viewer
    before = counts(runtime)
    duplicate = alice.post("/admin/users", {"handle": "dan", "email": "x@example.com", "name": "Dan again",
                                            "access_role": "responder", "password": "long-enough-password"})
    assert duplicate.status_code == 409
    assert "already exists" in duplicate.text
    assert "long-enough-password" not in duplicate.text  # a password is never echoed back
    short = alice.post("/admin/users", {"handle": "eve", "email": "eve@example.com", "name": "Eve",
                                        "access_role": "responder", "password": "short"})
    assert "Passwords are at least 8 characters." in short.text
    assert counts(runtime) == before


def test_admins_create_teams_and_add_members(browser, people, runtime):
    alice = browser(people.alice)
    assert alice.post("/admin/teams", {"slug": "security", "name": "Security"}).status_code == 303
    assert alice.post("/admin/teams/members", {"team": "security", "who": "@bob"}).status_code == 303
    page = alice.get("/admin/teams")
    assert "@bob is in security" in page.text
    assert '<span class="tag">@bob</span>' in page.text.split("Security")[1]
    bad = alice.post("/admin/teams/members", {"team": "security", "who": "@ghost"})
    assert bad.status_code == 404 and "No user &#39;@ghost&#39;" in bad.text
    assert "A team slug is lowercase" in alice.post("/admin/teams", {"slug": "No Spaces"}).text


def test_the_audit_log_shows_who_did_what_through_which_door(browser, people, factory):
    factory.incident(people.bob, title="Search is down")
    page = browser(people.alice).get("/admin/audit")
    assert "<code>incident.declare</code>" in page.text
    assert "<code>user.sign_in</code>" in page.text
    assert "title: Search is down" in page.text


def test_dead_letters_can_be_retried(browser, people, runtime):
    with runtime.database.writing() as db:
        queue.enqueue(db=db, kind="announce", payload={}, idempotency_key="dead-1",
                            due_at=runtime.clock.now())
        job_id = db.scalar(sa.select(Job.id).where(Job.idempotency_key == "dead-1"))
        queue.fail(db=db, job_id=job_id, now=runtime.clock.now(), error="HTTP 500 from hook", permanent=True)
    alice = browser(people.alice)
    page = alice.get("/admin/jobs")
    assert "HTTP 500 from hook" in page.text
    assert alice.post(f"/admin/jobs/{job_id}/retry").status_code == 303
    with runtime.database.reading() as db:
        assert db.get(Job, job_id).state is JobState.pending
        assert db.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "job.retry")) == "job.retry"
    again = alice.post(f"/admin/jobs/{job_id}/retry")
    assert again.status_code == 404
    assert f"No dead-lettered job #{job_id}." in again.text
    assert "No dead letters" in alice.get("/admin/jobs").text
