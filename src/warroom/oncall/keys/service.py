"""Integration keys: ingest-only credentials that monitoring tools send alerts with.

Each key has a kind (which wire format it may speak), and may be tied to a team and an escalation
policy: alerts it raises belong to that team and escalate through that policy. The secret is shown
once, at creation, and stored only as its SHA-256 hash, like API tokens. Takes a session; commits
nothing; every change is audited.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Protocol, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, Team
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import NotFound, ValidationFailed
from warroom.core.security import hash_secret, new_secret
from warroom.db.memo import forget, memo
from warroom.oncall.alerts import routing
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.keys.models import IntegrationKey, KeyKind

PREFIX_LENGTH = 8
MAX_NAME = 200


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is the only time the credential is visible."""

    secret: str
    key: IntegrationKey


def new_key_secret(kind: KeyKind) -> str:
    """A secret in the shape the tool expects, so tools that check the format accept it.

    PagerDuty routing keys are 32 alphanumerics; Opsgenie API keys are UUIDs (both random, 128/122 bits).
    """
    if kind is KeyKind.pagerduty:
        return secrets.token_hex(16)
    if kind in (KeyKind.opsgenie, KeyKind.heartbeat):
        return str(uuid.uuid4())
    return new_secret("wrk")


def parse_kind(value: str) -> KeyKind:
    try:
        return KeyKind(value.strip().lower())
    except ValueError:
        kinds = ", ".join(k.value for k in KeyKind)
        raise ValidationFailed(f"Unknown key kind '{value}'. Use one of: {kinds}.", field="kind") from None


def find_policy(*, db: Session, ref: str | int) -> EscalationPolicy:
    """An escalation policy by id or slug."""
    try:
        return policies.get_policy(db=db, ref=ref)
    except NotFound as missing:
        raise NotFound(missing.message, field="escalation_policy") from None


def create_key(*, db: Session, actor: Actor, name: str, kind: KeyKind, team: Team | None = None,
               escalation_policy: EscalationPolicy | None = None, dedup_per_alert: bool = False,
               secret: str | None = None) -> NewKey:
    """Make a key for one monitoring tool. Admins only.

    ``secret``: the value the tool already sends (a key imported from Opsgenie, PagerDuty or Grafana OnCall),
    so only the base URL changes in the tool; by default a new random one.
    """
    actor.require(AccessRole.admin)
    clean_name = " ".join(name.split())
    if not clean_name:
        raise ValidationFailed("Give the key a name that says which tool sends with it, e.g. prometheus-prod.",
                               field="name")
    if len(clean_name) > MAX_NAME:
        raise ValidationFailed(f"A key name is at most {MAX_NAME} characters.", field="name")
    if dedup_per_alert and kind is not KeyKind.alertmanager:
        raise ValidationFailed("dedup_per_alert applies to alertmanager keys only (dedup per alert fingerprint "
                               "instead of per group).", field="dedup_per_alert")
    secret = kept_secret(db, secret) if secret is not None else new_key_secret(kind)
    key = IntegrationKey(kind=kind, name=clean_name, key_hash=hash_secret(secret), prefix=secret[:PREFIX_LENGTH],
                         team_id=team.id if team else None,
                         escalation_policy_id=escalation_policy.id if escalation_policy else None,
                         dedup_per_alert=dedup_per_alert, created_at=actor.clock.now())
    db.add(key)
    db.flush()
    audit.record(db=db, actor=actor, action="integration_key.create", target_type="integration_key",
                 target_id=key.id, name=key.name, kind=kind.value, team=team.slug if team else None,
                 escalation_policy=escalation_policy.slug if escalation_policy else None,
                 dedup_per_alert=dedup_per_alert)
    return NewKey(secret, key)


MIN_KEPT_SECRET = 16


def kept_secret(db: Session, secret: str) -> str:
    """A secret brought from another tool: long enough to be a credential, and no other key's."""
    value = secret.strip()
    if len(value) < MIN_KEPT_SECRET or any(c.isspace() for c in value):
        raise ValidationFailed(f"A key value kept from another tool needs at least {MIN_KEPT_SECRET} characters "
                               "and no spaces.", field="secret")
    if db.scalar(sa.select(IntegrationKey.id).where(IntegrationKey.key_hash == hash_secret(value))) is not None:
        raise ValidationFailed("Another integration key has this value already.", field="secret")
    return value


def key_with_secret(*, db: Session, secret: str) -> IntegrationKey | None:
    """The key (live or revoked) whose value is ``secret``."""
    return db.scalar(sa.select(IntegrationKey).where(IntegrationKey.key_hash == hash_secret(secret.strip())))


ALERT_KINDS = frozenset({KeyKind.pagerduty, KeyKind.opsgenie, KeyKind.alertmanager})


def route_warning(db: Session, key: IntegrationKey) -> str | None:
    """What to tell an admin about a key whose alerts page nobody it names (no team, no escalation policy)."""
    if key.kind not in ALERT_KINDS or key.team_id is not None or key.escalation_policy_id is not None:
        return None
    catch_all = str(db.info.get(routing.CATCH_ALL) or routing.DEFAULT_CATCH_ALL)
    return (f"Key '{key.name}' has no team or escalation policy: its alerts that name no responder Warroom knows "
            f"page the catch-all (WARROOM_UNROUTED_PAGE={catch_all}) and show under Unrouted on the alerts page. "
            "Give the key a team or an escalation policy to page the people who own what it watches.")


def list_keys(*, db: Session, include_revoked: bool = True) -> list[IntegrationKey]:
    query = sa.select(IntegrationKey).order_by(IntegrationKey.id.desc())
    if not include_revoked:
        query = query.where(IntegrationKey.revoked_at.is_(None))
    return list(db.scalars(query))


def get_key(*, db: Session, key_id: int) -> IntegrationKey:
    key = db.get(IntegrationKey, key_id)
    if key is None:
        raise NotFound(f"No integration key #{key_id}.", field="key")
    return key


def revoke_key(*, db: Session, actor: Actor, key_id: int) -> IntegrationKey:
    """Stop accepting a key at once. Revoking twice changes nothing."""
    actor.require(AccessRole.admin)
    key = get_key(db=db, key_id=key_id)
    forget(db, _KEYS_SEEN)
    if key.revoked_at is None:
        key.revoked_at = actor.clock.now()
        audit.record(db=db, actor=actor, action="integration_key.revoke", target_type="integration_key",
                     target_id=key.id, name=key.name, kind=key.kind.value)
    return key


_KEYS_SEEN = "integration_keys"


# Every event looks its key up: a statement built once, read without the ORM's load and without flushing what
# the transaction's earlier events wrote (they flush together at commit). In the ingest profile the ORM look-up,
# with the flush it carried, was a tenth of the server's time.
_KEYS = cast(sa.Table, IntegrationKey.__table__)
_BY_HASH = sa.select(*_KEYS.c).where(_KEYS.c.key_hash == sa.bindparam("key_hash"))


def authenticate_key(*, db: Session, secret: str) -> IntegrationKey | None:
    """The live key with this secret, or None (unknown or revoked); read only (not in the session)."""
    if not secret:
        return None
    # Looked up once per transaction: events that share a (group-committed) transaction share the answer.
    known = memo(db, _KEYS_SEEN)
    if secret not in known:
        row = db.execute(_BY_HASH, {"key_hash": hash_secret(secret)}).first()
        known[secret] = IntegrationKey(**row._mapping) if row is not None and row.revoked_at is None else None
    found: IntegrationKey | None = known[secret]
    return found


class Acting(Protocol):
    """Someone a tool's request names (Opsgenie's ``user``): what acting as them needs."""

    @property
    def id(self) -> int: ...

    @property
    def handle(self) -> str: ...


def key_actor(key: IntegrationKey, clock: Clock, *, display: str = "", user: Acting | None = None) -> Actor:
    """Who acts when a tool sends with this key: nobody in particular, with a responder's reach.

    ``display`` is the name the tool gives (Opsgenie's ``user``); it labels the timeline. When it names a
    Warroom user (``user``), the action is theirs (acknowledged by, closed by), still with a responder's reach
    and recorded as coming through the key.
    """
    via = f"integration-key:{key.prefix}"
    if user is not None:
        return Actor(user.id, user.handle, AccessRole.responder, via, clock)
    label = " ".join(display.split())[:64] or key.name[:64]
    return Actor(None, label, AccessRole.responder, via, clock)


def dedup_scope(key: IntegrationKey) -> str:
    """Where this key's dedup keys are unique: PagerDuty and Alertmanager per key, Opsgenie account-wide."""
    if key.kind is KeyKind.pagerduty:
        return f"pd:{key.id}"
    if key.kind is KeyKind.alertmanager:
        return f"am:{key.id}"
    return ""
