"""Who is acting, through which door, and at what time."""

from __future__ import annotations

from dataclasses import dataclass, field

from warroom.core.access import AccessRole
from warroom.core.clock import Clock, SystemClock
from warroom.core.errors import PermissionDenied


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    handle: str
    access_role: AccessRole
    via: str = "system"
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def system(cls, clock: Clock | None = None) -> Actor:
        return cls(None, "warroom", AccessRole.admin, "system", clock or SystemClock())

    @property
    def is_admin(self) -> bool:
        return self.access_role is AccessRole.admin

    def require(self, needed: AccessRole) -> None:
        if self.access_role.rank < needed.rank:
            raise PermissionDenied(
                f"@{self.handle} has {self.access_role.value} access; this needs {needed.value}. "
                "Ask an admin to raise your access."
            )
