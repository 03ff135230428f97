"""What a person may do in Warroom: the access role every actor carries and every change checks."""

from __future__ import annotations

import enum


class AccessRole(enum.StrEnum):
    """What a person may do in Warroom (not an incident role)."""

    viewer = "viewer"
    responder = "responder"
    admin = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 0, "responder": 1, "admin": 2}[self.value]
