"""The shared helpers in tests.support do what the tests that lean on them assume."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, ApiToken, Membership, Team, TokenScope, User
from warroom.config import Settings
from warroom.core.clock import FakeClock
from warroom.engine import queue
from warroom.engine.models import Job, JobState
from warroom.runtime import Runtime

from .factories import Factory
from .support import Reply, Request, count, drain, http_server, live_server, people, smtp_server, stored, wait_until


def test_stored_sees_every_change_but_a_tokens_last_use_unless_asked(runtime: Runtime, factory: Factory,
                                                                     clock: FakeClock) -> None:
    factory.token(factory.user("bob"), TokenScope.read)
    before, every_column = stored(runtime), stored(runtime, leave_out=())
    with runtime.database.writing() as db:
        db.execute(sa.update(ApiToken).values(last_used_at=clock.now()))
    assert stored(runtime) == before
    assert stored(runtime, leave_out=()) != every_column
    factory.user("carol")
    assert stored(runtime) != before
    assert count(runtime, "users") == 2


def test_wait_until_says_what_never_happened() -> None:
    assert wait_until(lambda: True, 1)
    assert not wait_until(lambda: False, 0.2, every=0.05)
    with pytest.raises(AssertionError, match="waiting for: the moon"):
        wait_until(lambda: False, 0.2, what="the moon", every=0.05)


def _job_due_in_an_hour(runtime: Runtime, clock: FakeClock, kind: str = "nobody-runs-this", hours: int = 1) -> None:
    with runtime.database.writing() as db:
        queue.enqueue(db=db, kind=kind, payload={}, idempotency_key=f"{kind}-later",
                      due_at=clock.now() + timedelta(hours=hours))


def _pending(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        return int(db.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.state == JobState.pending)) or 0)


def test_drain_without_a_clock_leaves_later_work_and_with_one_runs_it(runtime: Runtime, clock: FakeClock) -> None:
    _job_due_in_an_hour(runtime, clock)
    start = clock.now()
    drain(runtime)
    assert _pending(runtime) == 1 and clock.now() == start
    drain(runtime, clock)
    assert _pending(runtime) == 0 and clock.now() == start + timedelta(hours=1)


def test_the_recording_server_keeps_each_request_and_answers_as_told() -> None:
    def respond(request: Request) -> Reply:
        if request.method == "GET":
            return Reply(404, b"gone", {"Retry-After": "3"})
        return Reply(201, {"got": request.json(), "form": request.form(keep_blank=False)})

    with http_server(respond, path="/api") as server:
        assert server.url.endswith("/api")
        created = httpx.post(server.url + "/things", json={"a": 1})
        missing = httpx.get(server.url + "/things?x=1")
    assert created.status_code == 201 and created.json()["got"] == {"a": 1}
    assert created.headers["content-type"].startswith("application/json")
    assert (missing.status_code, missing.content, missing.headers["retry-after"]) == (404, b"gone", "3")
    assert [(r.method, r.path) for r in server.requests] == [("POST", "/api/things"), ("GET", "/api/things?x=1")]
    assert server.requests[0].headers["content-type"] == "application/json"


def test_the_smtp_server_points_the_settings_and_keeps_the_mail(settings: Settings) -> None:
    with smtp_server(settings, mail_from="Status <status@acme.example>") as inbox:
        assert (settings.smtp_host, settings.smtp_port, settings.mail_from) == (
            inbox.host, inbox.port, "Status <status@acme.example>")
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "a@example.com", "b@example.com", "Hello"
        mail.set_content("Body")
        with smtplib.SMTP(inbox.host, inbox.port) as smtp:
            smtp.send_message(mail)
    [received] = inbox.received
    assert received.rcpt_tos == ["b@example.com"] and received.message["Subject"] == "Hello"


def test_people_get_their_access_and_teams_in_the_order_given(runtime: Runtime, factory: Factory) -> None:
    made = people(factory, {"vic": AccessRole.viewer, "alice": (AccessRole.admin, "engineering"),
                            "carol": ("customer-support", "engineering"), "erin": ()})
    assert list(made) == ["vic", "alice", "carol", "erin"]
    assert [u.id for u in made.values()] == sorted(u.id for u in made.values())
    assert [u.access_role for u in made.values()] == [AccessRole.viewer, AccessRole.admin, AccessRole.responder,
                                                       AccessRole.responder]
    with runtime.database.reading() as db:
        rows = db.execute(sa.select(Team.slug, User.handle).join(Membership, Membership.team_id == Team.id)
                          .join(User, User.id == Membership.user_id).order_by(Team.slug, User.handle))
        teams = [tuple(row) for row in rows]
    assert teams == [("customer-support", "carol"), ("engineering", "alice"), ("engineering", "carol")]


def test_the_live_server_answers_over_loopback_and_stops(runtime: Runtime) -> None:
    with live_server(runtime, lifespan="on") as live:
        assert httpx.get(live.url + "/login").status_code == 200
    assert live.server.should_exit
    with pytest.raises(httpx.ConnectError):
        httpx.get(live.url + "/login")


def test_drain_of_one_kind_leaves_the_others_pending(runtime: Runtime, clock: FakeClock) -> None:
    _job_due_in_an_hour(runtime, clock, "first-kind")
    _job_due_in_an_hour(runtime, clock, "second-kind", hours=2)
    start = clock.now()
    drain(runtime, clock, kind="first-kind")
    assert _pending(runtime) == 1 and clock.now() == start + timedelta(hours=1)
