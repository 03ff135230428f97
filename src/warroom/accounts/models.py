"""Users, teams, membership, API tokens and web sessions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

# AccessRole lives in core (an actor carries one); users store it, and accounts offers it under its name.
from warroom.core.access import AccessRole as AccessRole
from warroom.db.base import Base, int_pk


class TokenScope(enum.StrEnum):
    read = "read"
    write = "write"
    admin = "admin"

    def as_access_role(self) -> AccessRole:
        return {"read": AccessRole.viewer, "write": AccessRole.responder, "admin": AccessRole.admin}[
            self.value
        ]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = int_pk()
    handle: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    access_role: Mapped[AccessRole] = mapped_column(default=AccessRole.responder)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = int_pk()
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]


class Membership(Base):
    __tablename__ = "memberships"

    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = int_pk()
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[TokenScope]
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = int_pk()
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
