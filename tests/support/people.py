"""Named people for a test: ``people(factory, {"alice": (AccessRole.admin, "engineering"), "erin": ()})``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from warroom.accounts.models import AccessRole, User

from ..factories import Factory

# What one person is: an access role, a team's slug, or a tuple of those; () is a responder in no team.
Who = AccessRole | str | tuple[AccessRole | str, ...]

# The handbook's people, as most tests meet them.
HANDBOOK: dict[str, Who] = {
    "alice": (AccessRole.admin, "engineering"),
    "bob": "engineering",
    "carol": "customer-support",
    "vic": AccessRole.viewer,
}


def people(factory: Factory, spec: Mapping[str, Who], **user: Any) -> dict[str, User]:
    """Create each person of ``spec`` in its order (so their ids follow it); ``user`` goes to every factory.user."""
    made: dict[str, User] = {}
    for handle, who in spec.items():
        parts = who if isinstance(who, tuple) else (who,)
        access = next((p for p in parts if isinstance(p, AccessRole)), AccessRole.responder)
        teams = tuple(p for p in parts if not isinstance(p, AccessRole))
        made[handle] = factory.user(handle, access, teams=teams, **user)
    return made
