"""The Opsgenie Alert API's other changes to one alert: snooze, unacknowledge, tags, details, priority, escalate to
next, assign, add responder, add team, delete.

As with acknowledge and close (``alerts.act``): the body is checked whole before anything is read (a 422 names
every field), the alert is found by id, tiny id or alias, the change is Warroom's own (``oncall.alerts``), and
the outcome is kept for ``GET /v2/alerts/requests/{requestId}``. What the alert's state refuses (snoozing a
closed alert) is accepted and reported as failed there, as Opsgenie does; what names nothing in Warroom (an
unknown owner, team or escalation) is a 422 saying so, since nothing could come of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import Conflict, ValidationFailed
from warroom.oncall.alerts import changes, privacy
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, Priority
from warroom.oncall.escalation import service as escalation
from warroom.oncall.keys import service as keys

from . import alerts as og
from .wire import Call, Fields, OpsgenieError, authenticate, unprocessable

MAX_DETAIL_KEY = 100
MAX_DETAIL_VALUE = 8_000
WIRE_FIELDS = {"until": "endTime"}


@dataclass
class Change:
    """One change as the request asked for it: who, the note, and what the change needs."""

    name: str
    user: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    priority: Priority = Priority.p3
    until: datetime | None = None
    target: dict[str, str] = field(default_factory=dict)  # owner, responder, team or escalation as named


# Parse ------------------------------------------------------------------------------------------------


def parse(name: str, data: dict[str, Any]) -> Change:
    """The body (or, for the DELETE calls, the query parameters) of one change, checked whole."""
    fields = Fields(data)
    change = Change(name, user=fields.text("user", limit=og.MAX_USER), note=fields.text("note", limit=og.MAX_NOTE))
    fields.text("source", limit=og.MAX_SOURCE)
    if name in _PARSERS:
        _PARSERS[name](fields, change)
    fields.check()
    return change


def _snooze(fields: Fields, change: Change) -> None:
    text = fields.text("endTime", limit=64, required=True)
    if text:
        try:
            until = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            fields.errors["endTime"] = "endTime is an ISO 8601 time, such as 2026-12-07T10:00:00Z."
            return
        change.until = until if until.tzinfo else until.replace(tzinfo=UTC)


def _tags(fields: Fields, change: Change) -> None:
    value = fields.data.get("tags")
    if isinstance(value, str) and change.name == "remove_tags":  # DELETE …/tags?tags=a,b
        value = [t for t in value.split(",") if t.strip()]
    if not value:
        fields.errors["tags"] = "tags can not be empty: give a list of tags."
        return
    fields.data["tags"] = value
    change.tags = fields.strings("tags", most=og.MAX_TAGS)


def _add_details(fields: Fields, change: Change) -> None:
    value = fields.data.get("details")
    if not isinstance(value, dict) or not value:
        fields.errors["details"] = "details can not be empty: give an object of key-value pairs."
        return
    if any(len(str(k)) > MAX_DETAIL_KEY or not str(k).strip() for k in value):
        fields.errors["details"] = f"Each detail key is 1 to {MAX_DETAIL_KEY} characters."
        return
    change.details = {str(k): (v if isinstance(v, str) else json.dumps(v))[:MAX_DETAIL_VALUE]
                      for k, v in value.items()}


def _remove_details(fields: Fields, change: Change) -> None:
    value = fields.data.get("keys")
    listed = [k for k in value.split(",") if k.strip()] if isinstance(value, str) else []
    if not listed:
        fields.errors["keys"] = "keys can not be empty: give the detail keys to remove, comma separated."
    change.tags = listed


def _priority(fields: Fields, change: Change) -> None:
    if fields.data.get("priority") in (None, ""):
        fields.errors["priority"] = "priority can not be empty: one of [P1, P2, P3, P4, P5]."
        return
    change.priority = og.priority_of(fields)


def _named(word: str, kinds: tuple[str, ...]) -> Callable[[Fields, Change], None]:
    """A body field naming one team, user or escalation: ``{"id": …}``, ``{"name": …}`` or ``{"username": …}``."""

    def parse_named(fields: Fields, change: Change) -> None:
        value = fields.data.get(word)
        if word == "responder" and isinstance(value, dict) and value.get("type") not in (None, *og.RESPONDER_TYPES):
            fields.errors[word] = "responder's type is team, user, escalation or schedule."
            return
        if not isinstance(value, dict) or not any(isinstance(value.get(k), str) and value[k].strip()
                                                  for k in ("id", "name", "username")):
            fields.errors[word] = f"{word} can not be empty: give an object with {' or '.join(kinds)}."
            return
        change.target = {k: value[k].strip() for k in ("type", "id", "name", "username")
                         if isinstance(value.get(k), str) and value[k].strip()}

    return parse_named


_PARSERS: dict[str, Callable[[Fields, Change], None]] = {
    "snooze": _snooze, "add_tags": _tags, "remove_tags": _tags, "add_details": _add_details,
    "remove_details": _remove_details, "priority": _priority,
    "escalate": _named("escalation", ("id", "name")), "assign": _named("owner", ("id", "username")),
    "responder": _named("responder", ("id", "name", "username")), "team": _named("team", ("id", "name")),
}


# Apply ------------------------------------------------------------------------------------------------


ACTIONS = {  # change -> (request status action, status when done)
    "snooze": ("Snooze", "Snoozed alert"), "unacknowledge": ("UnAcknowledge", "UnAcknowledged alert"),
    "add_tags": ("AddTags", "Added tags"), "remove_tags": ("RemoveTags", "Removed tags"),
    "add_details": ("AddDetails", "Added details"), "remove_details": ("RemoveDetails", "Removed details"),
    "priority": ("UpdatePriority", "Updated priority"), "escalate": ("EscalateToNext", "Escalated to next"),
    "assign": ("Assign", "Assigned alert"), "responder": ("AddResponder", "Added responder"),
    "team": ("AddTeam", "Added team"), "delete": ("Delete", "Deleted alert"),
}


def apply(*, db: Session, call: Call, header: str | None, identifier: str, kind: str, change: Change,
          clock: Clock) -> None:
    key = authenticate(db, header, og.ALERT_KEYS)
    alert = og.find(db, key, identifier, kind)
    hidden = privacy.hidden_from_key(db, key.id, [alert])
    actor = keys.key_actor(key, clock, display=change.user, user=og.named_user(db, change.user))
    work = _resolve(db, change, alert, hidden=bool(hidden))  # 422s and 403s before anything is written
    action, status = ACTIONS[change.name]
    alias = "" if hidden else alert.alias
    alert_id = alert.id
    try:
        work(actor, alert_id)
    except Conflict as refused:
        og.record(db, call, key, action, alert_id, alias, False, refused.message, clock.now())
        return
    except ValidationFailed as refused:  # named as the request named it (snooze's "until" is its endTime)
        raise unprocessable({WIRE_FIELDS.get(refused.field or "", refused.field or change.name): refused.message}
                            ) from None
    og.record(db, call, key, action, None if change.name == "delete" else alert_id, alias, True, status,
              clock.now())


Work = Callable[[Actor, int], object]


def _resolve(db: Session, change: Change, alert: Alert, *, hidden: bool) -> Work:
    """What to do, with every name looked up: a name Warroom does not know is a 422 here."""
    c = change
    simple: dict[str, Work] = {
        "snooze": lambda a, i: alerts.snooze(db=db, actor=a, alert_id=i, until=_until(c), note=c.note),
        "unacknowledge": lambda a, i: alerts.unacknowledge(db=db, actor=a, alert_id=i, note=c.note),
        "add_tags": lambda a, i: changes.add_tags(db=db, actor=a, alert_id=i, tags=c.tags, note=c.note),
        "remove_tags": lambda a, i: changes.remove_tags(db=db, actor=a, alert_id=i, tags=c.tags, note=c.note),
        "add_details": lambda a, i: changes.add_details(db=db, actor=a, alert_id=i, details=c.details,
                                                        note=c.note),
        "remove_details": lambda a, i: changes.remove_details(db=db, actor=a, alert_id=i, keys=c.tags,
                                                              note=c.note),
        "priority": lambda a, i: changes.set_priority(db=db, actor=a, alert_id=i, priority=c.priority),
        "delete": lambda a, i: changes.delete(db=db, actor=a, alert_id=i),
    }
    if c.name in simple:
        return simple[c.name]
    if c.name == "assign":
        owner = _user(db, c.target)
        return lambda a, i: changes.assign(db=db, actor=a, alert_id=i, owner=owner, note=c.note)
    if c.name == "escalate":
        policy_id = _target_id(db, {**c.target, "type": "escalation"}, "escalation")
        if policy_id not in _policies_of(db, alert):
            raise unprocessable({"escalation": f"The escalation '{_said(c.target)}' does not page this alert."})
        return lambda a, i: alerts.escalate_now(db=db, actor=a, alert_id=i)
    if hidden:
        raise OpsgenieError(403, f"Alert #{alert.id} belongs to {privacy.PRIVATE_INCIDENT}: only its participants, "
                                 "the security team and admins can page someone new for it.")
    target = _responder(db, {**c.target, "type": "team"} if c.name == "team" else c.target,
                        "team" if c.name == "team" else "responder")
    return lambda a, i: changes.add_responder(db=db, actor=a, alert_id=i, responder=target, note=c.note)


def _responder(db: Session, named: dict[str, str], word: str) -> dict[str, Any]:
    """The responder as a Warroom target. Without a type (the SDK's UserRecipient, TeamRecipient… send none), a
    username is a user's, and a name or id is the first of a team, an escalation, a schedule or a user found."""
    if "type" in named:
        return {"type": named["type"], "id": _target_id(db, named, word)}
    for kind in ("user",) if "username" in named else ("team", "escalation", "schedule", "user"):
        found = og.responder_id(db, {**named, "type": kind})
        if found is not None:
            return {"type": kind, "id": found}
    raise unprocessable({word: f"No team, escalation, schedule or user '{_said(named)}' in Warroom."})


def _until(change: Change) -> datetime:
    assert change.until is not None  # parse requires endTime
    return change.until


def _said(named: dict[str, str]) -> str:
    return named.get("id") or named.get("name") or named.get("username") or ""


def _target_id(db: Session, named: dict[str, str], word: str) -> int:
    found = og.responder_id(db, named)
    if found is None:
        raise unprocessable({word: f"No {named['type']} '{_said(named)}' in Warroom."})
    return found


def _user(db: Session, named: dict[str, str]) -> User:
    user_id = _target_id(db, {**named, "type": "user"}, "owner")
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        raise unprocessable({"owner": f"The user '{_said(named)}' is not active in Warroom."})
    return user


def _policies_of(db: Session, alert: Alert) -> set[int]:
    """The escalation policies the alert's plan runs: its own, its responders' (a team's), its team's."""
    found = {alert.escalation_policy_id} if alert.escalation_policy_id else set()
    for responder in alert.responders:
        kind, ref = responder.get("type"), int(responder.get("id", 0))
        policy_id = ref if kind == "escalation" else (
            escalation.team_policy_id(db=db, team_id=ref) if kind == "team" else None)
        if policy_id:
            found.add(policy_id)
    if alert.team_id:
        team_policy = escalation.team_policy_id(db=db, team_id=alert.team_id)
        if team_policy:
            found.add(team_policy)
    return found
