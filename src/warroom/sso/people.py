"""Who a provider's signed-in subject is in Warroom: a linked person, a person with the same email, or someone
new (a just-in-time account); the provider's groups set their teams and access. Takes a session; commits nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import WarroomError
from warroom.sso.models import ExternalIdentity
from warroom.sso.oidc import SignInRefused
from warroom.sso.providers import Provider

NOT_HANDLE = re.compile(r"[^a-z0-9._-]+")


def provider_actor(provider: Provider, clock: Clock) -> Actor:
    """The provider acting on accounts (audited as via "sso", handle sso:<name>)."""
    return Actor(None, f"sso:{provider.name}", AccessRole.admin, "sso", clock)


def free_handle(db: Session, wanted: str) -> str:
    """A handle made from ``wanted`` (a username or an email's local part) that nobody has yet."""
    base = NOT_HANDLE.sub("-", wanted.split("@")[0].strip().lower()).strip("-._")[:56] or "person"
    handle, n = base, 1
    while db.scalar(sa.select(User.id).where(User.handle == handle)) is not None:
        n += 1
        handle = f"{base}-{n}"
    return handle


@dataclass(frozen=True)
class SignedIn:
    user: User
    created: bool


def person_for(db: Session, provider: Provider, claims: dict[str, Any], clock: Clock) -> SignedIn:
    """The person the ID token's claims name, linked or created, with teams and access from their groups."""
    access, teams = grants(provider, claims)
    identity = db.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.provider == provider.name,
                                                           ExternalIdentity.subject == claims["sub"]))
    created = False
    if identity is not None:
        user = db.get(User, identity.user_id)
        assert user is not None  # the link cascades away with the person
        identity.last_seen_at = clock.now()
    else:
        user, created = _link_or_create(db, provider, claims, access, clock)
    if not user.is_active:
        raise SignInRefused(f"Your Warroom account @{user.handle} is deactivated; ask an admin to reactivate it.",
                            status=403)
    _apply_groups(db, provider, user, access, teams, clock)
    return SignedIn(user, created)


def grants(provider: Provider, claims: dict[str, Any]) -> tuple[AccessRole, set[str]]:
    """The access and team slugs the claims' groups map to; refused when no group admits the person."""
    value = claims.get(provider.group_claim) or []
    groups = {value} if isinstance(value, str) else {str(g) for g in value} if isinstance(value, list) else set()
    matched = [provider.groups[g] for g in sorted(groups) if g in provider.groups]
    roles = [g.access for g in matched if g.access is not None]
    teams = {g.team for g in matched if g.team}
    if roles:
        return max(roles, key=lambda r: r.rank), teams
    if provider.default_access == "none":
        wanted = ", ".join(sorted(provider.groups)) or "(none configured)"
        raise SignInRefused(f"Your account at {provider.title} is in none of the groups Warroom admits ({wanted}); "
                            "ask your identity provider's admin to add you.", status=403)
    return provider.default_access, teams


def _link_or_create(db: Session, provider: Provider, claims: dict[str, Any], access: AccessRole,
                    clock: Clock) -> tuple[User, bool]:
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise SignInRefused(f"{provider.title} did not tell Warroom your email address; ask for the email scope.",
                            status=403)
    if len(claims["sub"]) > 255 or len(email) > 254:
        raise SignInRefused(f"{provider.title} names you with a subject or email longer than Warroom keeps "
                            "(255 characters).", status=403)
    actor = provider_actor(provider, clock)
    user = db.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    created = user is None
    if user is not None and not (claims.get("email_verified") is True or provider.trust_email):
        raise SignInRefused(f"A Warroom account already uses {email}, and {provider.title} does not say the "
                            "address is verified; ask an admin to set trust_email for this provider.", status=403)
    if user is None:
        wanted = str(claims.get("preferred_username") or email)
        name = str(claims.get("name") or claims.get("preferred_username") or email)[:200]
        try:
            user = accounts.create_user(db=db, actor=actor, handle=free_handle(db, wanted), email=email,
                                        name=name, access_role=access)
        except WarroomError as error:
            raise SignInRefused(f"Warroom cannot make an account from {provider.title}'s answer: {error.message}",
                                status=403) from error
    now = clock.now()
    db.add(ExternalIdentity(provider=provider.name, subject=claims["sub"], user_id=user.id, created_at=now,
                            last_seen_at=now))
    audit.record(db=db, actor=actor, action="sso.jit_create" if created else "sso.link", target_type="user",
                 target_id=user.id, provider=provider.name, subject=claims["sub"], handle=user.handle)
    return user, created


def _apply_groups(db: Session, provider: Provider, user: User, access: AccessRole, teams: set[str],
                  clock: Clock) -> None:
    """The provider's groups are the truth for the teams its mapping names, and for access when it grants any."""
    if not provider.groups:
        return
    actor = provider_actor(provider, clock)
    manages_access = any(g.access is not None for g in provider.groups.values())
    if manages_access and user.access_role is not access:
        accounts.set_access_role(db=db, actor=actor, user=user, access_role=access)
    managed = {g.team for g in provider.groups.values() if g.team}
    for slug in sorted(managed):
        team = accounts.find_team(db=db, name=slug)
        if slug in teams:
            team = team or accounts.create_team(db=db, actor=actor, slug=slug, name=slug)
            accounts.add_member(db=db, actor=actor, team=team, user=user)
        elif team is not None:
            accounts.remove_member(db=db, actor=actor, team=team, user=user)
