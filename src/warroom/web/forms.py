"""Web actions: the CSRF check, one write transaction in the thread pool, then a redirect or the page again.

Every form post goes through ``act`` (or ``submit``, its common case: a flash line and a redirect), so the
sequence is written once: check the CSRF token, run the change in ``runtime.database.writing()``, and answer
with ``done`` on success or ``refused`` on a domain error. The whole sequence, including the page rendered on a
refusal, runs in the thread pool, because it touches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal
from warroom.core.errors import WarroomError
from warroom.runtime import Runtime
from warroom.web.auth import require_csrf
from warroom.web.templating import Flash, redirect

T = TypeVar("T")


@dataclass(frozen=True)
class FormError:
    """A refused form: which form, the domain error's message, and what was typed (to show again)."""

    form: str
    message: str
    values: dict[str, str]
    status: int = 422


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def act(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    values: dict[str, str],
    change: Callable[[Session], T],
    *,
    done: Callable[[T], Response],
    refused: Callable[[WarroomError], Response],
) -> Response:
    """Check the CSRF token, run ``change`` in one write transaction, answer ``done(result)`` or ``refused``."""
    try:
        require_csrf(request, principal, values)
        with runtime.database.writing() as db:
            result = change(db)
    except WarroomError as error:
        return refused(error)
    return done(result)


async def act_in_pool(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    values: dict[str, str],
    change: Callable[[Session], T],
    *,
    done: Callable[[T], Response],
    refused: Callable[[WarroomError], Response],
) -> Response:
    """``act`` from an async route: the database work and the answer's rendering run in the thread pool."""
    return await run_in_threadpool(act, request, runtime, principal, values, change, done=done, refused=refused)


def submit(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    form: str,
    values: dict[str, str],
    change: Callable[[Session], str],
    *,
    then: str,
    on_error: Callable[[FormError], Response],
) -> Response:
    """Run ``change`` (which returns the line to show) and go to ``then``; on a domain error, ``on_error``."""
    return act(request, runtime, principal, values, change,
               done=lambda message: redirect(runtime, then, Flash(message) if message else None),
               refused=lambda error: on_error(FormError(form, error.message, values, error.status)))


async def post_form(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    form: str,
    values: dict[str, str],
    change: Callable[[Session], str],
    *,
    then: str,
    on_error: Callable[[FormError], Response],
) -> Response:
    """``submit`` from an async route, in the thread pool."""
    return await run_in_threadpool(submit, request, runtime, principal, form, values, change,
                                   then=then, on_error=on_error)
