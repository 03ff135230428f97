"""What a password must be: long enough, not the person's own handle or email, not a common password.

Checked wherever a password is set (the profile page, an admin's reset, `warroom users`, the API), so
every way in refuses the same passwords with the same message.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from warroom.core.errors import ValidationFailed

MIN_LENGTH = 8
# Handles and email names shorter than this are ordinary syllables ("al", "jo"); they are not refused.
SHORTEST_NAME_REFUSED = 3
COMMON_PASSWORDS = Path(__file__).resolve().parent / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (see the file's header for where it comes from), lowercased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, handle: str, email: str) -> None:
    """Raise ValidationFailed (field ``password``) saying what to change, or return for a usable password."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"Passwords are at least {MIN_LENGTH} characters.", field="password")
    lowered = password.lower()
    for name, what in ((handle.strip().lstrip("@").lower(), "the handle"),
                       (email.strip().lower().partition("@")[0], "the name of the email address")):
        if len(name) >= SHORTEST_NAME_REFUSED and name in lowered:
            raise ValidationFailed(
                f"The password contains {what} ('{name}'), which anyone can guess; choose one without it.",
                field="password")
    if lowered in common_passwords():
        raise ValidationFailed(
            "That is one of the 1,000 most common passwords, the first ones guessed; choose another, "
            "for example a few unrelated words.", field="password")
