"""People, teams and API tokens on the wire. A token's secret appears once, in TokenCreatedOut."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.accounts.models import AccessRole, ApiToken, Team, TokenScope, User


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserIn(Input):
    handle: str = Field(examples=["alice"])
    email: str = Field(examples=["alice@example.com"])
    name: str
    password: str | None = Field(None, description="Leave out for people who only use API tokens.")
    access_role: AccessRole = AccessRole.responder


class TeamIn(Input):
    slug: str = Field(examples=["customer-support"])
    name: str = ""


class MemberIn(Input):
    user: str = Field(description="@handle or email.", examples=["@carol"])


class TokenIn(Input):
    name: str = Field(description="Where the token is used.", examples=["ci"])
    scope: TokenScope = TokenScope.read
    user: str | None = Field(None, description="Admins only: make the token for someone else (@handle).")


class UserOut(BaseModel):
    id: int
    handle: str
    email: str
    name: str
    access_role: AccessRole
    is_active: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, handle=user.handle, email=user.email, name=user.name,
                   access_role=user.access_role, is_active=user.is_active)


class MeOut(UserOut):
    teams: list[str] = Field(description="Slugs of the teams this person is in.")
    effective_role: AccessRole = Field(description="What this credential may do (a token never exceeds its user).")


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class TeamOut(BaseModel):
    slug: str
    name: str

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        return cls(slug=team.slug, name=team.name)


class TeamDetailOut(TeamOut):
    members: list[str] = Field(description="Handles of the members.")


class TeamPage(BaseModel):
    items: list[TeamOut]
    total: int
    limit: int
    offset: int


class TokenOut(BaseModel):
    id: int
    name: str
    scope: TokenScope
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    user_id: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(id=token.id, name=token.name, scope=token.scope, prefix=token.prefix, user_id=token.user_id,
                   created_at=token.created_at, last_used_at=token.last_used_at, revoked_at=token.revoked_at)


class TokenCreatedOut(BaseModel):
    id: int
    name: str
    scope: TokenScope
    prefix: str
    token: str = Field(description="The secret. Shown this once; only its hash is stored.")


class TokenPage(BaseModel):
    items: list[TokenOut]
    total: int
    limit: int
    offset: int
