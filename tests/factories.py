"""Build test data through the real services, so tests exercise the same paths users do."""

from __future__ import annotations

from typing import Any

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, TokenScope, User
from warroom.core.actor import Actor
from warroom.incidents import flows
from warroom.incidents.models import Incident
from warroom.runtime import Runtime

PASSWORD = "correct-horse-battery"


class Factory:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.system = Actor.system(runtime.clock)

    def user(self, handle: str, access: AccessRole = AccessRole.responder, teams: tuple[str, ...] = (),
             password: str | None = PASSWORD) -> User:
        with self.runtime.database.writing() as db:
            user = accounts.create_user(db=db, actor=self.system, handle=handle,
                                        email=f"{handle}@example.com", name=handle.title(),
                                        password=password, access_role=access)
            for slug in teams:
                team = accounts.find_team(db=db, name=slug) or accounts.create_team(
                    db=db, actor=self.system, slug=slug, name=slug)
                accounts.add_member(db=db, actor=self.system, team=team, user=user)
            return user

    def actor(self, user: User, via: str = "test") -> Actor:
        return Actor(user.id, user.handle, user.access_role, via, self.runtime.clock)

    def token(self, user: User, scope: TokenScope = TokenScope.write) -> str:
        with self.runtime.database.writing() as db:
            return accounts.create_token(db=db, actor=self.system, user=user, name="test", scope=scope).secret

    def incident(self, reporter: User, title: str = "Search is down", severity: str = "critical",
                 **kwargs: Any) -> Incident:
        with self.runtime.database.writing() as db:
            return flows.declare_incident(db=db, actor=self.actor(reporter), title=title, severity=severity,
                                          **kwargs).incident

    def playbooks(self) -> None:
        from warroom.demo import load_builtin_playbooks

        with self.runtime.database.writing() as db:
            load_builtin_playbooks(db=db, actor=self.system)
