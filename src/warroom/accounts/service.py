"""Accounts: people, teams, sign-in, API tokens. Takes a session; commits nothing."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, ApiToken, Membership, Team, TokenScope, User, WebSession
from warroom.accounts.passwords import check_password
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotAuthenticated, NotFound, ValidationFailed
from warroom.core.security import hash_password, hash_secret, new_secret, unknown_user_hash, verify_password
from warroom.live import notify

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def get_user(*, db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def find_person(*, db: Session, who: str) -> User:
    """Resolve ``@alice``, ``alice`` or ``alice@example.com`` to an active user."""
    text = who.strip().lstrip("@").lower()
    if not text:
        raise ValidationFailed("Name a person: @handle or their email address.", field="user")
    column = User.email if "@" in text else User.handle
    user = db.scalar(sa.select(User).where(sa.func.lower(column) == text))
    if user is None or not user.is_active:
        raise NotFound(f"No user '{who.strip()}'. Use an @handle or email of someone in Warroom.", field="user")
    return user


def list_users(*, db: Session) -> list[User]:
    return list(db.scalars(sa.select(User).order_by(User.handle)))


def create_user(
    *,
    db: Session,
    actor: Actor,
    handle: str,
    email: str,
    name: str,
    password: str | None = None,
    access_role: AccessRole = AccessRole.responder,
) -> User:
    actor.require(AccessRole.admin)
    handle = handle.strip().lstrip("@").lower()
    email = email.strip().lower()
    if not HANDLE_RE.match(handle):
        raise ValidationFailed(
            "A handle is 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.",
            field="handle",
        )
    if not EMAIL_RE.match(email):
        raise ValidationFailed(f"'{email}' is not an email address.", field="email")
    if not name.strip():
        raise ValidationFailed("A user needs a name.", field="name")
    if password is not None:
        check_password(password, handle=handle, email=email)
    taken = db.scalar(sa.select(User.id).where(sa.or_(User.handle == handle, User.email == email)))
    if taken is not None:
        raise Conflict(f"A user with handle @{handle} or email {email} already exists.", field="handle")
    user = User(
        handle=handle,
        email=email,
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        access_role=access_role,
        created_at=actor.clock.now(),
    )
    db.add(user)
    db.flush()
    audit.record(db=db, actor=actor, action="user.create", target_type="user", target_id=user.id,
                 handle=handle, access_role=access_role.value)
    return user


@dataclass(frozen=True)
class PasswordChanged:
    sessions_ended: int
    tokens_revoked: int


def set_password(*, db: Session, actor: Actor, user: User, password: str, keep_session_id: int | None = None,
                 revoke_tokens: bool = False) -> PasswordChanged:
    """Set the password and sign the person out everywhere else.

    Every web session of theirs ends, except ``keep_session_id`` when they change their own password from it
    (an admin's reset ends them all). API tokens stay unless ``revoke_tokens`` says so: they are separate
    credentials, often in use by scripts, and revoking them is a choice the caller makes out loud.
    """
    if actor.user_id != user.id:
        actor.require(AccessRole.admin)
        keep_session_id = None
    check_password(password, handle=user.handle, email=user.email)
    user.password_hash = hash_password(password)
    ended = end_sessions_of(db=db, user=user, keep_session_id=keep_session_id)
    revoked = _revoke_tokens_of(db=db, user=user, now=actor.clock.now()) if revoke_tokens else 0
    audit.record(db=db, actor=actor, action="user.password", target_type="user", target_id=user.id,
                 sessions_ended=ended, tokens_revoked=revoked)
    return PasswordChanged(ended, revoked)


class WrongPassword(ValidationFailed):
    """The current password typed to change it was not the person's."""


def change_own_password(*, db: Session, actor: Actor, user: User, current: str, new: str,
                        keep_session_id: int | None) -> PasswordChanged:
    """The person changes their own password: the current one first, then the new one; other sessions end."""
    if actor.user_id != user.id:
        raise ValidationFailed("Only the person themself changes a password this way; admins reset it.")
    if not verify_password(current, user.password_hash or unknown_user_hash()):
        raise WrongPassword("The current password is not right; type the one you sign in with.",
                            field="current_password")
    return set_password(db=db, actor=actor, user=user, password=new, keep_session_id=keep_session_id)


def end_sessions_of(*, db: Session, user: User, keep_session_id: int | None = None) -> int:
    """End the person's web sessions (all but ``keep_session_id``); how many ended."""
    query = sa.delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        query = query.where(WebSession.id != keep_session_id)
    return int(db.execute(query).rowcount)  # type: ignore[attr-defined]


def _revoke_tokens_of(*, db: Session, user: User, now: datetime) -> int:
    tokens = list(db.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = now
    if tokens:
        credentials_changed(db)
    return len(tokens)


def set_access_role(*, db: Session, actor: Actor, user: User, access_role: AccessRole) -> None:
    actor.require(AccessRole.admin)
    before = user.access_role
    user.access_role = access_role
    credentials_changed(db)
    audit.record(db=db, actor=actor, action="user.access_role", target_type="user", target_id=user.id,
                 before=before.value, after=access_role.value)


# Teams --------------------------------------------------------------------------------------------


def find_team(*, db: Session, name: str) -> Team | None:
    slug = name.strip().lstrip("@").lower()
    return db.scalar(sa.select(Team).where(sa.func.lower(Team.slug) == slug))


def list_teams(*, db: Session) -> list[Team]:
    return list(db.scalars(sa.select(Team).order_by(Team.slug)))


def create_team(*, db: Session, actor: Actor, slug: str, name: str) -> Team:
    actor.require(AccessRole.admin)
    slug = slug.strip().lstrip("@").lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed("A team slug is lowercase letters, digits and '-', e.g. customer-support.",
                               field="slug")
    if find_team(db=db, name=slug) is not None:
        raise Conflict(f"Team '{slug}' already exists.", field="slug")
    team = Team(slug=slug, name=name.strip() or slug, created_at=actor.clock.now())
    db.add(team)
    db.flush()
    audit.record(db=db, actor=actor, action="team.create", target_type="team", target_id=team.id, slug=slug)
    return team


def add_member(*, db: Session, actor: Actor, team: Team, user: User) -> None:
    actor.require(AccessRole.admin)
    if db.get(Membership, (team.id, user.id)) is None:
        db.add(Membership(team_id=team.id, user_id=user.id))
        audit.record(db=db, actor=actor, action="team.add_member", target_type="team", target_id=team.id,
                     user=user.handle)


def remove_member(*, db: Session, actor: Actor, team: Team, user: User) -> None:
    actor.require(AccessRole.admin)
    membership = db.get(Membership, (team.id, user.id))
    if membership is not None:
        db.delete(membership)
        audit.record(db=db, actor=actor, action="team.remove_member", target_type="team",
                     target_id=team.id, user=user.handle)


def team_members(*, db: Session, team: Team) -> list[User]:
    query = (sa.select(User).join(Membership, Membership.user_id == User.id)
             .where(Membership.team_id == team.id).order_by(User.handle))
    return list(db.scalars(query))


def teams_of(*, db: Session, user_id: int) -> list[Team]:
    query = (sa.select(Team).join(Membership, Membership.team_id == Team.id)
             .where(Membership.user_id == user_id).order_by(Team.slug))
    return list(db.scalars(query))


def is_member(*, db: Session, user_id: int, team_slug: str) -> bool:
    query = (sa.select(Membership.user_id).join(Team, Team.id == Membership.team_id)
             .where(Membership.user_id == user_id, Team.slug == team_slug))
    return db.scalar(query) is not None


# Sign-in and sessions ------------------------------------------------------------------------------


def authenticate_password(*, db: Session, login: str, password: str) -> User:
    text = login.strip().lstrip("@").lower()
    column = User.email if "@" in text else User.handle
    user = db.scalar(sa.select(User).where(sa.func.lower(column) == text))
    if user is None or not user.is_active or not user.password_hash:
        verify_password(password, unknown_user_hash())  # the same scrypt work as for someone who exists
        raise NotAuthenticated("Unknown user or wrong password.")
    if not verify_password(password, user.password_hash):
        raise NotAuthenticated("Unknown user or wrong password.")
    return user


@dataclass(frozen=True)
class NewSession:
    cookie_value: str
    session: WebSession


def start_session(*, db: Session, user: User, now: datetime, days: int) -> NewSession:
    raw = secrets.token_urlsafe(32)
    session = WebSession(
        token_hash=hash_secret(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.add(session)
    db.flush()
    return NewSession(raw, session)


def find_session(*, db: Session, cookie_value: str, now: datetime) -> tuple[WebSession, User] | None:
    row = db.execute(
        sa.select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == hash_secret(cookie_value))
    ).first()
    if row is None:
        return None
    session, user = row
    if session.expires_at <= now or not user.is_active:
        return None
    return session, user


def end_session(*, db: Session, cookie_value: str) -> None:
    db.execute(sa.delete(WebSession).where(WebSession.token_hash == hash_secret(cookie_value)))


# API tokens ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    secret: str
    token: ApiToken


def create_token(*, db: Session, actor: Actor, user: User, name: str, scope: TokenScope) -> NewToken:
    if actor.user_id != user.id:
        actor.require(AccessRole.admin)
    if scope.as_access_role().rank > user.access_role.rank:
        raise ValidationFailed(
            f"@{user.handle} has {user.access_role.value} access; a token cannot have more "
            f"(asked for scope {scope.value}).", field="scope")
    if not name.strip():
        raise ValidationFailed("Give the token a name that says where it is used.", field="name")
    secret = new_secret("wr")
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:200],
        token_hash=hash_secret(secret),
        prefix=secret[:10],
        scope=scope,
        created_at=actor.clock.now(),
    )
    db.add(token)
    db.flush()
    audit.record(db=db, actor=actor, action="token.create", target_type="token", target_id=token.id,
                 user=user.handle, scope=scope.value, name=token.name)
    return NewToken(secret, token)


def list_tokens(*, db: Session, user_id: int | None = None) -> list[ApiToken]:
    query = sa.select(ApiToken).order_by(ApiToken.id.desc())
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(db.scalars(query))


# Bumped whenever who may do what changes (a token revoked, a role changed, someone deactivated), so
# credentials remembered by a process for a moment are looked up afresh at once: in this process now and
# again when the change commits, in every other process on the same PostgreSQL when it commits (NOTIFY).
_credentials_generation = 0
CREDENTIALS = "credentials"  # the notify topic of a commit that changed who may do what


def credentials_changed(db: Session) -> None:
    _bump_generation()
    notify.mark(db, CREDENTIALS)


@notify.on_topic
def _committed(topic: str) -> None:
    if topic in (CREDENTIALS, notify.EVERYTHING):
        _bump_generation()


def _bump_generation() -> None:
    global _credentials_generation
    _credentials_generation += 1


def credentials_generation() -> int:
    return _credentials_generation


def revoke_token(*, db: Session, actor: Actor, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No API token #{token_id}.")
    if token.user_id != actor.user_id:
        actor.require(AccessRole.admin)
    if token.revoked_at is None:
        token.revoked_at = actor.clock.now()
        credentials_changed(db)
        audit.record(db=db, actor=actor, action="token.revoke", target_type="token", target_id=token.id)
    return token


def authenticate_token(*, db: Session, secret: str) -> tuple[ApiToken, User] | None:
    row = db.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_secret(secret))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.is_active:
        return None
    return token, user


def effective_role(user: User, scope: TokenScope | None) -> AccessRole:
    """A token never grants more than its user has."""
    if scope is None:
        return user.access_role
    token_role = scope.as_access_role()
    return token_role if token_role.rank < user.access_role.rank else user.access_role
