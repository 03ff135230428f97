"""Where a new alert pages when what it names does not route it: no alert is refused for its routing.

An alert pages its responders (every one Warroom knows), else its key's escalation policy, else its key's
team. A responder Warroom does not know is kept on the alert (``unresolved_responders``) with a warning in its
timeline; when nothing is left to page, the alert pages the catch-all, ``WARROOM_UNROUTED_PAGE``: every active
admin (``admins``, the default), a team (``team:<slug>``) or an escalation policy (``policy:<slug or id>``).
Either way the alert is marked unrouted, for the alerts page's "Unrouted" filter.

Only alerts that need it pay for this: an alert that routes itself reads nothing here. The catch-all is looked
up once per transaction (a group commit of many unrouted alerts reads it once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, Team, User
from warroom.db.memo import memo
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy

CATCH_ALL = "warroom_unrouted_page"  # the Session.info key the runtime fills from WARROOM_UNROUTED_PAGE
DEFAULT_CATCH_ALL = "admins"
MAX_UNRESOLVED = 50  # responders kept (and warned about) per alert; Opsgenie allows 50 responders
MAX_NAME = 100


@dataclass(frozen=True)
class Route:
    """Whom the alert pages after all, and how a person reads it ("team platform, @carol")."""

    responders: list[dict[str, Any]] = field(default_factory=list)
    escalation_policy_id: int | None = None
    label: str = ""
    catch_all: bool = False


def unresolved(named: dict[str, Any]) -> dict[str, str]:
    """A responder as the sender named it, kept short: {"type": "team", "name": "sre"} (or "id")."""
    kept = {"type": str(named.get("type", ""))[:32]}
    for word in ("id", "name", "username"):
        value = named.get(word)
        if isinstance(value, str) and value.strip():
            kept["id" if word == "id" else "name"] = value.strip()[:MAX_NAME]
            break
    return kept


def responder_label(named: dict[str, Any]) -> str:
    """``team 'sre'``, or ``team with id '4f2…'`` for one given by id."""
    if "id" in named:
        return f"{named.get('type', 'responder')} with id '{named['id']}'"
    return f"{named.get('type', 'responder')} '{named.get('name', '')}'"


def label(db: Session, *, responders: list[dict[str, Any]], escalation_policy_id: int | None,
          team_id: int | None) -> str:
    """How a person reads whom the alert pages: its responders, else its key's policy, else its key's team."""
    if responders:
        return _labels(db, responders)
    if escalation_policy_id:
        return "its key's " + _labels(db, [{"type": "escalation", "id": escalation_policy_id}])
    if team_id:
        return "its key's " + _labels(db, [{"type": "team", "id": team_id}])
    return "nobody"


def catch_all(db: Session) -> Route:
    """The catch-all route of WARROOM_UNROUTED_PAGE, read once per transaction."""
    known = memo(db, "routing")
    if "catch_all" not in known:
        known["catch_all"] = _catch_all(db, str(db.info.get(CATCH_ALL) or DEFAULT_CATCH_ALL))
    route: Route = known["catch_all"]
    return route


def _catch_all(db: Session, setting: str) -> Route:
    kind, _, name = setting.partition(":")
    kind, name = kind.strip().lower(), name.strip().lower()
    if kind == "team":
        team_id = db.scalar(sa.select(Team.id).where(sa.func.lower(Team.slug) == name))
        if team_id is not None:
            return Route([{"type": "team", "id": team_id}], None, f"the catch-all, team {name}", True)
        return _admins(db, f" (team '{name}' of WARROOM_UNROUTED_PAGE is not in Warroom)")
    if kind == "policy":
        match = (EscalationPolicy.id == int(name) if name.isdigit() and int(name) <= policies.MAX_ID
                 else EscalationPolicy.slug == name)
        found = db.execute(sa.select(EscalationPolicy.id, EscalationPolicy.slug).where(match)).first()
        if found is not None:
            return Route([], int(found[0]), f"the catch-all, escalation policy {found[1]}", True)
        return _admins(db, f" (escalation policy '{name}' of WARROOM_UNROUTED_PAGE is not in Warroom)")
    return _admins(db, "")


def _admins(db: Session, why: str) -> Route:
    found = db.execute(sa.select(User.id, User.handle).where(
        User.access_role == AccessRole.admin, User.is_active.is_(True)).order_by(User.id)).all()
    handles = ", ".join(f"@{handle}" for _, handle in found) or "none active"
    return Route([{"type": "user", "id": int(user_id)} for user_id, _ in found], None,
                 f"the catch-all, admins ({handles}){why}", True)


def _labels(db: Session, targets: list[dict[str, Any]]) -> str:
    names = policies.names_of(db=db, refs=[(str(t.get("type")), int(t.get("id", 0))) for t in targets])
    labels = []
    for target in targets:
        kind, ref = str(target.get("type")), int(target.get("id", 0))
        name = names.get((kind, ref), f"#{ref}")
        labels.append(f"@{name}" if kind == "user" else
                      f"{'escalation policy' if kind == 'escalation' else kind} {name}")
    return ", ".join(labels)
