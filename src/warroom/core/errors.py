"""Domain errors: one message a user can act on, rendered by every transport.

The API renders them as problem+json, chat as an ephemeral reply, the CLI as a red line and
the web UI as a form error. ``status`` is the HTTP status the API answers with.
"""

from __future__ import annotations


class WarroomError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint


class ValidationFailed(WarroomError):
    status = 422
    title = "Invalid input"


class NotFound(WarroomError):
    status = 404
    title = "Not found"


class Conflict(WarroomError):
    status = 409
    title = "Conflict"


class PermissionDenied(WarroomError):
    status = 403
    title = "Forbidden"


class NotAuthenticated(WarroomError):
    status = 401
    title = "Not signed in"


class ChecklistIncomplete(Conflict):
    title = "Checklist incomplete"

    def __init__(self, message: str, *, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
