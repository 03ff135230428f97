"""Form posts outside the room: CSRF check, one transaction, then a redirect or the page with the error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from warroom.api.deps import Principal
from warroom.core.errors import WarroomError
from warroom.runtime import Runtime
from warroom.web.auth import require_csrf
from warroom.web.templating import Flash, redirect


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
    try:
        require_csrf(request, principal, values)
        with runtime.database.writing() as db:
            message = change(db)
    except WarroomError as error:
        return on_error(FormError(form, error.message, values, error.status))
    return redirect(runtime, then, Flash(message) if message else None)
