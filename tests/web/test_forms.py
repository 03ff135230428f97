"""The one web action helper: CSRF check, one write transaction, then the answer for success or refusal."""

from __future__ import annotations

import anyio
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from warroom.api.deps import CSRF_FIELD, Principal
from warroom.audit import service as audit
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.web.forms import act, act_in_pool, post_form

from ..support.store import count

TOKEN = "the-session-csrf-token"


def _principal(factory) -> Principal:
    user = factory.user("alice")
    return Principal(user, factory.actor(user), TOKEN)


def _request() -> Request:
    return Request({"type": "http", "method": "POST", "path": "/x", "headers": [], "query_string": b""})


def _writes(principal: Principal, fail: bool = False):
    def change(db: Session) -> str:
        audit.record(db=db, actor=principal.actor, action="test.write", target_type="test", target_id=1)
        if fail:
            raise ValidationFailed("Say what to fix.", field="name")
        return "written"
    return change


def _refused(error: WarroomError) -> Response:
    return PlainTextResponse(f"{error.field}: {error.message}", error.status)


def test_a_missing_or_stale_csrf_token_is_refused_before_anything_is_written(runtime, factory):
    principal = _principal(factory)
    before = count(runtime, "audit_log")
    for values in ({}, {CSRF_FIELD: "stale"}):
        answer = act(_request(), runtime, principal, values, _writes(principal),
                     done=lambda said: PlainTextResponse(said), refused=_refused)
        assert answer.status_code == 403 and b"security token" in answer.body
    assert count(runtime, "audit_log") == before


def test_a_domain_error_rolls_the_transaction_back_and_answers_its_status(runtime, factory):
    principal = _principal(factory)
    before = count(runtime, "audit_log")
    answer = act(_request(), runtime, principal, {CSRF_FIELD: TOKEN}, _writes(principal, fail=True),
                 done=lambda said: PlainTextResponse(said), refused=_refused)
    assert (answer.status_code, answer.body) == (422, b"name: Say what to fix.")
    assert count(runtime, "audit_log") == before


def test_a_change_is_committed_and_answered_from_the_thread_pool(runtime, factory):
    principal = _principal(factory)
    before = count(runtime, "audit_log")

    async def post() -> Response:
        return await act_in_pool(_request(), runtime, principal, {CSRF_FIELD: TOKEN}, _writes(principal),
                                 done=lambda said: PlainTextResponse(said, 201), refused=_refused)

    answer = anyio.run(post)
    assert (answer.status_code, answer.body) == (201, b"written")
    assert count(runtime, "audit_log") == before + 1


def test_post_form_redirects_with_the_line_or_shows_the_form_again(runtime, factory):
    principal = _principal(factory)

    async def post(fail: bool) -> Response:
        return await post_form(_request(), runtime, principal, "thing", {CSRF_FIELD: TOKEN, "name": "x"},
                               _writes(principal, fail), then="/things",
                               on_error=lambda error: PlainTextResponse(f"{error.form} {error.values['name']}",
                                                                        error.status))

    done, refused = anyio.run(post, False), anyio.run(post, True)
    assert (done.status_code, done.headers["location"]) == (303, "/things")
    assert "warroom_flash" in done.headers["set-cookie"]
    assert (refused.status_code, refused.body) == (422, b"thing x")
