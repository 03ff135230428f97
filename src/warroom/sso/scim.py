"""SCIM 2.0 (RFC 7643/7644): an identity provider creates, updates and deactivates people and their teams.

People a SCIM client provisioned (or adopted: someone already in Warroom with the same email) are linked to it
by an ``ExternalIdentity`` whose subject is the client's userName. Groups are Warroom teams. Deactivating a
person ends their web sessions and API tokens at once and says which schedules and escalation policies still
name them. Takes a session; commits nothing. No incident data is read or shown here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, ApiToken, Membership, Team, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import WarroomError
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride
from warroom.sso.models import SCIM, ExternalIdentity
from warroom.sso.people import free_handle

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Warroom's own message on a deactivated person's resource: what ended and what still names them.
DEACTIVATION_SCHEMA = "urn:warroom:params:scim:api:messages:2.0:Deactivation"

FILTER_RE = re.compile(r'^\s*([A-Za-z.]+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
MEMBER_PATH_RE = re.compile(r'^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$', re.IGNORECASE)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ScimError(Exception):
    """An answer in SCIM's error shape (RFC 7644 §3.12)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status), "detail": self.detail}
        if self.scim_type:
            body["scimType"] = self.scim_type
        return body


def scim_actor(clock: Clock) -> Actor:
    return Actor(None, "scim", AccessRole.admin, "scim", clock)


@dataclass
class Deactivation:
    sessions_ended: int = 0
    tokens_revoked: int = 0
    warnings: list[str] = field(default_factory=list)


# Users ---------------------------------------------------------------------------------------------------


def _identity(db: Session, user_id: int) -> ExternalIdentity | None:
    return db.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.provider == SCIM,
                                                       ExternalIdentity.user_id == user_id))


def as_id(value: object) -> int | None:
    """A resource id as the row id it is, or None (a number past a 32-bit id names nothing)."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and int(text) < 2**31 else None


def find_user(db: Session, resource_id: str) -> tuple[User, ExternalIdentity]:
    number = as_id(resource_id)
    user = db.get(User, number) if number is not None else None
    identity = _identity(db, user.id) if user is not None else None
    if user is None or identity is None:
        raise ScimError(404, f"No SCIM user {resource_id!r} (ids are what POST /Users answered).")
    return user, identity


def user_resource(db: Session, user: User, identity: ExternalIdentity, base: str,
                  deactivation: Deactivation | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA], "id": str(user.id), "userName": identity.subject,
        "name": {"formatted": user.name}, "displayName": user.name,
        "emails": [{"value": user.email, "primary": True, "type": "work"}],
        "active": user.is_active,
        "groups": [{"value": str(t.id), "display": t.name, "$ref": f"{base}/Groups/{t.id}"}
                   for t in accounts.teams_of(db=db, user_id=user.id)],
        "meta": {"resourceType": "User", "created": user.created_at.isoformat(),
                 "lastModified": identity.last_seen_at.isoformat(), "location": f"{base}/Users/{user.id}"},
    }
    if identity.external_id:
        resource["externalId"] = identity.external_id
    if deactivation is not None:
        resource["schemas"].append(DEACTIVATION_SCHEMA)
        resource[DEACTIVATION_SCHEMA] = {"sessionsEnded": deactivation.sessions_ended,
                                         "tokensRevoked": deactivation.tokens_revoked,
                                         "warnings": deactivation.warnings}
    return resource


def parse_filter(text: str, allowed: dict[str, str]) -> tuple[str, str] | None:
    """``attribute eq "value"`` for one of ``allowed`` (names compared case-insensitively) or invalidFilter."""
    if not text.strip():
        return None
    match = FILTER_RE.match(text)
    attribute = allowed.get(match.group(1).lower()) if match else None
    if match is None or attribute is None:
        names = " or ".join(f'{name} eq "..."' for name in allowed.values())
        raise ScimError(400, f"Filter {text!r} is not supported here; use {names}.", "invalidFilter")
    return attribute, match.group(2).replace('\\"', '"')


def list_users(db: Session, filter_text: str) -> list[tuple[User, ExternalIdentity]]:
    query = (sa.select(User, ExternalIdentity).join(ExternalIdentity, ExternalIdentity.user_id == User.id)
             .where(ExternalIdentity.provider == SCIM).order_by(User.id))
    wanted = parse_filter(filter_text, {"username": "userName", "externalid": "externalId"})
    if wanted is not None:
        column = ExternalIdentity.subject if wanted[0] == "userName" else ExternalIdentity.external_id
        query = query.where(sa.func.lower(column) == wanted[1].lower())
    return [(user, identity) for user, identity in db.execute(query)]


@dataclass(frozen=True)
class UserFields:
    user_name: str
    email: str
    name: str
    active: bool
    external_id: str | None


def user_fields(body: Any) -> UserFields:
    if not isinstance(body, dict):
        raise ScimError(400, "The body is a SCIM User object (JSON).", "invalidSyntax")
    user_name = _short(body.get("userName"), "userName")
    emails: list[Any] = body["emails"] if isinstance(body.get("emails"), list) else []
    primary = next((e for e in emails if isinstance(e, dict) and e.get("primary")), None)
    email = str((primary or (emails[0] if emails and isinstance(emails[0], dict) else {})).get("value") or "")
    email = (email or (user_name if EMAIL_RE.match(user_name) else "")).strip().lower()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ScimError(400, f"userName {user_name!r} has no email address: send emails with a primary value.",
                        "invalidValue")
    name_part: dict[str, Any] = body["name"] if isinstance(body.get("name"), dict) else {}
    given = " ".join(str(name_part.get(k) or "") for k in ("givenName", "familyName")).strip()
    name = str(body.get("displayName") or name_part.get("formatted") or given or user_name).strip()
    external = body.get("externalId")
    return UserFields(user_name, email, name[:200], as_bool(body.get("active", True)),
                      _short(external, "externalId") if external is not None else None)


def _short(value: Any, what: str) -> str:
    """A non-empty string that fits its column (255 characters)."""
    if not isinstance(value, str | int) or not str(value).strip() or len(str(value).strip()) > 255:
        raise ScimError(400, f"{what} is a string of 1 to 255 characters.", "invalidValue")
    return str(value).strip()


def as_bool(value: Any) -> bool:
    """SCIM booleans; some clients send "True"/"False" as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, f"active is true or false, not {value!r}.", "invalidValue")


def create_user(db: Session, body: Any, clock: Clock) -> tuple[User, ExternalIdentity]:
    """A new person, or someone already in Warroom with that email adopted (linked) by the SCIM client."""
    fields = user_fields(body)
    taken = db.scalar(sa.select(ExternalIdentity).where(ExternalIdentity.provider == SCIM,
                                                        sa.func.lower(ExternalIdentity.subject)
                                                        == fields.user_name.lower()))
    if taken is not None:
        raise ScimError(409, f"userName {fields.user_name!r} is already provisioned (id {taken.user_id}).",
                        "uniqueness")
    actor = scim_actor(clock)
    user = db.scalar(sa.select(User).where(sa.func.lower(User.email) == fields.email))
    if user is not None and _identity(db, user.id) is not None:
        raise ScimError(409, f"{fields.email} belongs to a person provisioned under another userName.",
                        "uniqueness")
    adopted = user is not None
    if user is None:
        try:
            user = accounts.create_user(db=db, actor=actor, handle=free_handle(db, fields.user_name),
                                        email=fields.email, name=fields.name)
        except WarroomError as error:
            raise ScimError(400, error.message, "invalidValue") from error
    now = clock.now()
    identity = ExternalIdentity(provider=SCIM, subject=fields.user_name, user_id=user.id,
                                external_id=fields.external_id, created_at=now, last_seen_at=now)
    db.add(identity)
    db.flush()
    audit.record(db=db, actor=actor, action="scim.adopt" if adopted else "scim.create", target_type="user",
                 target_id=user.id, user_name=fields.user_name, handle=user.handle)
    if not fields.active:
        deactivate(db, user, actor)
    return user, identity


def replace_user(db: Session, resource_id: str, body: Any, clock: Clock) -> Deactivation | None:
    user, identity = find_user(db, resource_id)
    fields = user_fields(body)
    _set_email(db, user, fields.email)
    user.name = fields.name
    identity.subject = fields.user_name
    identity.external_id = fields.external_id
    identity.last_seen_at = clock.now()
    return set_active(db, user, fields.active, scim_actor(clock))


def patch_user(db: Session, resource_id: str, body: Any, clock: Clock) -> Deactivation | None:
    """PATCH (RFC 7644 §3.5.2): active, userName, displayName, name.formatted, externalId, emails."""
    user, identity = find_user(db, resource_id)
    changes: dict[str, Any] = {}
    for op, path, value in operations(body):
        if op == "remove" or value is None:
            raise ScimError(400, f"{path or 'attributes'} of a User cannot be removed here.", "mutability")
        changes.update(value if path is None and isinstance(value, dict) else {path or "": value})
    deactivation = None
    for path, value in changes.items():
        key = path.lower()
        if key == "active":
            deactivation = set_active(db, user, as_bool(value), scim_actor(clock))
        elif key == "username":
            identity.subject = _short(value, "userName")
        elif key in ("displayname", "name.formatted") and isinstance(value, str) and value.strip():
            user.name = value.strip()[:200]
        elif key == "name" and isinstance(value, dict):
            user.name = user_fields({"userName": identity.subject, "emails": [{"value": user.email}],
                                     "name": value}).name
        elif key == "externalid":
            identity.external_id = _short(value, "externalId")
        elif key in ("emails", 'emails[type eq "work"].value', "emails[primary eq true].value"):
            _set_email(db, user, _email_of(value))
        elif key not in ("name.givenname", "name.familyname", "schemas"):
            raise ScimError(400, f"Attribute {path!r} is not one Warroom keeps; send active, userName, "
                            "displayName, name.formatted, externalId or emails.", "invalidPath")
    identity.last_seen_at = clock.now()
    return deactivation


def _email_of(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0].get("value")
    return str(value or "").strip().lower()


def _set_email(db: Session, user: User, email: str) -> None:
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise ScimError(400, f"{email[:254]!r} is not an email address.", "invalidValue")
    other = db.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email, User.id != user.id))
    if other is not None:
        raise ScimError(409, f"{email} is another person's email address.", "uniqueness")
    user.email = email


def operations(body: Any) -> list[tuple[str, str | None, Any]]:
    """A PatchOp's operations as (op, path, value); op in lower case (some clients send "Replace")."""
    if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
        raise ScimError(400, f"A PATCH body is a PatchOp: {{\"schemas\": [\"{PATCH_SCHEMA}\"], "
                        "\"Operations\": [...]}.", "invalidSyntax")
    found: list[tuple[str, str | None, Any]] = []
    for item in body["Operations"]:
        op = str(item.get("op", "")).lower() if isinstance(item, dict) else ""
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, "Each operation's op is add, replace or remove.", "invalidSyntax")
        path = item.get("path")
        found.append((op, str(path) if path else None, item.get("value")))
    return found


def set_active(db: Session, user: User, active: bool, actor: Actor) -> Deactivation | None:
    if active and not user.is_active:
        user.is_active = True
        accounts.credentials_changed(db)
        audit.record(db=db, actor=actor, action="user.reactivate", target_type="user", target_id=user.id)
    if not active and user.is_active:
        return deactivate(db, user, actor)
    return None


def deactivate(db: Session, user: User, actor: Actor) -> Deactivation:
    """The person can no longer sign in or use a token, from this moment; who still counts on them is named."""
    user.is_active = False
    now = actor.clock.now()
    done = Deactivation(sessions_ended=accounts.end_sessions_of(db=db, user=user))
    tokens = list(db.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = now
    done.tokens_revoked = len(tokens)
    accounts.credentials_changed(db)
    done.warnings = on_call_duties(db, user, now)
    audit.record(db=db, actor=actor, action="user.deactivate", target_type="user", target_id=user.id,
                 handle=user.handle, sessions_ended=done.sessions_ended, tokens_revoked=done.tokens_revoked,
                 warnings=done.warnings)
    return done


def on_call_duties(db: Session, user: User, now: Any) -> list[str]:
    """The schedules (layers, coming overrides) and escalation policies that still name this person."""
    warnings: list[str] = []
    layers = db.execute(sa.select(ScheduleLayer, Schedule).join(Schedule, Schedule.id == ScheduleLayer.schedule_id)
                        .order_by(Schedule.slug, ScheduleLayer.position))
    for layer, schedule in layers:
        if user.id in (layer.participants or []):
            warnings.append(f"@{user.handle} takes turns in schedule '{schedule.slug}' (layer '{layer.name}'): "
                            "remove them or their turns go to nobody.")
    overrides = db.execute(sa.select(ScheduleOverride, Schedule).join(Schedule)
                           .where(ScheduleOverride.user_id == user.id, ScheduleOverride.end_at > now))
    for override, schedule in overrides:
        warnings.append(f"@{user.handle} covers schedule '{schedule.slug}' until {override.end_at:%Y-%m-%d %H:%M} "
                        "UTC (an override): give it to someone else.")
    steps = db.execute(sa.select(EscalationStep, EscalationPolicy).join(EscalationPolicy)
                       .order_by(EscalationPolicy.slug, EscalationStep.position))
    for step, policy in steps:
        if any(t.get("type") == "user" and t.get("id") == user.id for t in step.targets or []):
            warnings.append(f"@{user.handle} is paged at step {step.position + 1} of escalation policy "
                            f"'{policy.slug}': name someone else there.")
    return warnings


def delete_user(db: Session, resource_id: str, clock: Clock) -> Deactivation:
    """SCIM's delete: the person is deactivated (their history stays) and no longer a SCIM resource."""
    user, identity = find_user(db, resource_id)
    actor = scim_actor(clock)
    done = deactivate(db, user, actor) if user.is_active else Deactivation()
    db.delete(identity)
    audit.record(db=db, actor=actor, action="scim.delete", target_type="user", target_id=user.id,
                 user_name=identity.subject)
    return done


# Groups (Warroom teams) ----------------------------------------------------------------------------------


def find_group(db: Session, resource_id: str) -> Team:
    number = as_id(resource_id)
    team = db.get(Team, number) if number is not None else None
    if team is None:
        raise ScimError(404, f"No SCIM group {resource_id!r}.")
    return team


def group_resource(db: Session, team: Team, base: str) -> dict[str, Any]:
    members = accounts.team_members(db=db, team=team)
    return {
        "schemas": [GROUP_SCHEMA], "id": str(team.id), "displayName": team.name,
        "members": [{"value": str(u.id), "display": u.name, "$ref": f"{base}/Users/{u.id}"} for u in members],
        "meta": {"resourceType": "Group", "created": team.created_at.isoformat(),
                 "lastModified": team.created_at.isoformat(), "location": f"{base}/Groups/{team.id}"},
    }


def list_groups(db: Session, filter_text: str) -> list[Team]:
    query = sa.select(Team).order_by(Team.id)
    wanted = parse_filter(filter_text, {"displayname": "displayName"})
    if wanted is not None:
        query = query.where(sa.or_(sa.func.lower(Team.name) == wanted[1].lower(),
                                   sa.func.lower(Team.slug) == wanted[1].lower()))
    return list(db.scalars(query))


def _display_name(body: Any) -> str:
    name = body.get("displayName") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ScimError(400, "A SCIM Group needs a displayName.", "invalidValue")
    return name.strip()[:200]


def _slug_for(db: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:56] or "team"
    slug, n = base, 1
    while accounts.find_team(db=db, name=slug) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_group(db: Session, body: Any, clock: Clock) -> Team:
    name = _display_name(body)
    if list_groups(db, f'displayName eq "{name}"'):
        raise ScimError(409, f"A team named {name!r} already exists.", "uniqueness")
    team = accounts.create_team(db=db, actor=scim_actor(clock), slug=_slug_for(db, name), name=name)
    _set_members(db, team, members_of(body.get("members")), clock)
    return team


def replace_group(db: Session, resource_id: str, body: Any, clock: Clock) -> Team:
    team = find_group(db, resource_id)
    team.name = _display_name(body)
    _set_members(db, team, members_of(body.get("members")), clock)
    return team


def _member(db: Session, value: Any) -> User:
    number = as_id(value)
    user = db.get(User, number) if number is not None else None
    if user is None:
        raise ScimError(400, f"Member {value!r} is no SCIM user id.", "invalidValue")
    return user


def members_of(value: Any) -> list[Any]:
    """The member ids of a members list ([{"value": "3"}, …]); invalidValue for anything else."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(m, dict) and "value" in m for m in value):
        raise ScimError(400, 'members is a list of {"value": "<user id>"}.', "invalidValue")
    return [m["value"] for m in value]


def _set_members(db: Session, team: Team, members: list[Any], clock: Clock) -> None:
    actor = scim_actor(clock)
    wanted = {_member(db, value).id for value in members}
    for user in accounts.team_members(db=db, team=team):
        if user.id not in wanted:
            accounts.remove_member(db=db, actor=actor, team=team, user=user)
    for user_id in sorted(wanted):
        accounts.add_member(db=db, actor=actor, team=team, user=_member(db, user_id))


def patch_group(db: Session, resource_id: str, body: Any, clock: Clock) -> Team:
    """Members added and removed (``members`` or ``members[value eq "id"]``), the name replaced."""
    team = find_group(db, resource_id)
    actor = scim_actor(clock)
    for op, path, value in operations(body):
        one = MEMBER_PATH_RE.match(path or "")
        if op == "remove" and one:
            accounts.remove_member(db=db, actor=actor, team=team, user=_member(db, one.group(1)))
        elif op == "remove" and (path or "").lower() == "members":
            for member in members_of(value):
                accounts.remove_member(db=db, actor=actor, team=team, user=_member(db, member))
            if not value:
                _set_members(db, team, [], clock)
        elif (path or "").lower() == "members":
            if op == "replace":
                _set_members(db, team, members_of(value), clock)
            for member in members_of(value):
                accounts.add_member(db=db, actor=actor, team=team, user=_member(db, member))
        elif (path or "").lower() == "displayname" or (path is None and isinstance(value, dict)):
            name = value if isinstance(value, str) else (value or {}).get("displayName")
            team.name = _display_name({"displayName": name})
        else:
            raise ScimError(400, f"Operation {op} on {path!r} is not supported for a Group; use members, "
                            'members[value eq "id"] or displayName.', "invalidPath")
    return team


def delete_group(db: Session, resource_id: str, clock: Clock) -> None:
    team = find_group(db, resource_id)
    owned = [f"schedule '{s}'" for s in db.scalars(sa.select(Schedule.slug).where(Schedule.team_id == team.id))]
    owned += [f"escalation policy '{p}'" for p in
              db.scalars(sa.select(EscalationPolicy.slug).where(EscalationPolicy.team_id == team.id))]
    if owned:
        raise ScimError(409, f"Team '{team.slug}' owns {', '.join(owned)}; give them to another team in Warroom "
                        "before deleting the group.", "mutability")
    db.execute(sa.delete(Membership).where(Membership.team_id == team.id))
    audit.record(db=db, actor=scim_actor(clock), action="team.delete", target_type="team", target_id=team.id,
                 slug=team.slug)
    db.delete(team)
