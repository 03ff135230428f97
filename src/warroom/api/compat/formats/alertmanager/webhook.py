"""Prometheus Alertmanager's webhook (payload version 4) as Warroom alerts.

One Warroom alert per Alertmanager group (``groupKey``) by default; per alert ``fingerprint`` when the key
says ``dedup_per_alert``. Firing raises (or counts another occurrence of) the alert; resolved closes it.
Dedup keys are unique per integration key, so two Alertmanager clusters never share an alert.

Every notification carries the group's whole current state, so a later one (an alert joining the group, or
resolving while others still fire) rewrites the alert's message, description and details to match, with a
line in the alert's timeline saying what joined and what resolved. A repeat of the same state only counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, Priority
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import IntegrationKey, KeyKind

VERSION = "4"
SEVERITY_PRIORITY = {"critical": Priority.p1, "page": Priority.p1, "high": Priority.p2, "error": Priority.p2,
                     "major": Priority.p2, "warning": Priority.p3, "minor": Priority.p4, "low": Priority.p4,
                     "info": Priority.p4, "none": Priority.p5}
MAX_TAGS = 20
NOTE = "resolved in Alertmanager"
# Details of a group alert that name its alerts (by instance, else by their own labels, else fingerprint).
FIRING, RESOLVED = "firing", "resolved"
LIST_SEPARATOR = ", "
NAMING_LABELS = ("instance", "pod", "host", "node", "job")


class AlertIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""  # noqa: N815 (Alertmanager's field names)
    endsAt: str = ""  # noqa: N815
    generatorURL: str = ""  # noqa: N815
    fingerprint: str = ""


class WebhookIn(BaseModel):
    """Alertmanager's webhook body, version 4."""

    model_config = ConfigDict(extra="ignore")

    version: str
    groupKey: str = Field(min_length=1)  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonLabels: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: dict[str, str] = Field(default_factory=dict)  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: list[AlertIn] = Field(min_length=1)


@dataclass(frozen=True)
class Outcome:
    alias: str
    action: str  # created | deduplicated | closed | ignored
    alert_id: int | None
    count: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"alias": self.alias, "action": self.action, "alert_id": self.alert_id, "count": self.count}


def authenticate(db: Session, secret: str | None) -> IntegrationKey:
    if not secret:
        raise NotAuthenticated("Send 'Authorization: Bearer <key>' with a Warroom alertmanager integration key "
                               "(webhook_configs http_config.authorization.credentials).")
    key = keys.authenticate_key(db=db, secret=secret)
    if key is None:
        raise NotAuthenticated("The integration key is unknown or revoked.")
    if key.kind is not KeyKind.alertmanager:
        raise PermissionDenied(f"This is a Warroom {key.kind.value} integration key; the Alertmanager webhook "
                               "needs an alertmanager key.")
    return key


def check_version(payload: WebhookIn) -> None:
    if payload.version != VERSION:
        raise ValidationFailed(f"Webhook payload version '{payload.version}' is not supported; Warroom reads "
                               f"version {VERSION}, which current Alertmanager releases send.", field="version")


def receive(*, db: Session, secret: str | None, payload: WebhookIn, clock: Clock) -> list[Outcome]:
    key = authenticate(db, secret)
    actor = keys.key_actor(key, clock)
    scope = keys.dedup_scope(key)
    if key.dedup_per_alert:
        return [_apply(db, actor, key, scope, alert.status, _fingerprint(alert), _alert_spec(payload, alert))
                for alert in payload.alerts]
    return [_apply(db, actor, key, scope, payload.status, _group_alias(payload.groupKey), _group_spec(payload))]


def _apply(db: Session, actor: Actor, key: IntegrationKey, scope: str, status: str, alias: str,
           spec: alerts.AlertSpec) -> Outcome:
    if status == "resolved":
        found = alerts.find_open(db=db, scope=scope, alias=alias)
        if found is None:
            return Outcome(alias, "ignored", None)
        alert_id = found[0]
        alerts.close_alert(db=db, actor=actor, alert_id=alert_id, note=NOTE)
        return Outcome(alias, "closed", alert_id)
    spec.alias, spec.dedup_scope = alias, scope
    spec.team_id, spec.escalation_policy_id, spec.integration_key_id = (key.team_id, key.escalation_policy_id,
                                                                         key.id)
    raised = alerts.raise_alert(db=db, actor=actor, spec=spec, shown=True)
    if not raised.created and raised.shown is not None:
        _follow(db, actor, raised.alert_id, spec, raised.shown)
    return Outcome(alias, "created" if raised.created else "deduplicated", raised.alert_id, raised.count)




def _follow(db: Session, actor: Actor, alert_id: int, spec: alerts.AlertSpec,
            shown: tuple[str, str, dict[str, Any] | None]) -> None:
    """The open alert takes the notification's text (``shown``: its text before); what changed goes in its
    timeline. Same text: nothing."""
    message, description, details = shown
    if (message, description, details) == (spec.message, spec.description, spec.details):
        return
    db.execute(sa.update(Alert).where(Alert.id == alert_id)
               .values(message=spec.message, description=spec.description, details=spec.details)
               .execution_options(synchronize_session=False))
    alerts.record_event(db=db, actor=actor, alert_id=alert_id, kind="updated",
                        body=_change_line(details or {}, spec), message=spec.message)


def _change_line(before: dict[str, Any], spec: alerts.AlertSpec) -> str:
    """'Alertmanager: 2 firing (joined: api-3), 1 resolved (api-1)', or the new message when no list changed."""
    was, now = _names(before.get(FIRING)), _names(spec.details.get(FIRING))
    resolved = _names(spec.details.get(RESOLVED))
    if was == now and not resolved:
        return f"Alertmanager update: {spec.message}"
    joined = [name for name in now if name not in was]
    parts = [f"{len(now)} firing" + (f" (joined: {', '.join(joined)})" if joined else "")]
    if resolved:
        parts.append(f"{len(resolved)} resolved ({', '.join(resolved)})")
    return "Alertmanager update: " + ", ".join(parts)


def _names(value: Any) -> list[str]:
    return [name for name in str(value or "").split(LIST_SEPARATOR) if name]


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _group_alias(group_key: str) -> str:
    return group_key if len(group_key) <= alerts.MAX_ALIAS else _hash(group_key)


def _fingerprint(alert: AlertIn) -> str:
    """Alertmanager's fingerprint; for senders that leave it out, a hash of the sorted labels."""
    if alert.fingerprint:
        return alert.fingerprint[: alerts.MAX_ALIAS]
    return _hash(repr(sorted(alert.labels.items())))


def _priority(labels: dict[str, str]) -> Priority:
    return SEVERITY_PRIORITY.get(labels.get("severity", "").lower(), Priority.p3)


def _tags(labels: dict[str, str]) -> list[str]:
    return [f"{k}:{v}" for k, v in sorted(labels.items())][:MAX_TAGS]


def _title(labels: dict[str, str], annotations: dict[str, str]) -> str:
    name = labels.get("alertname", "Alertmanager alert")
    summary = annotations.get("summary") or annotations.get("message") or annotations.get("description", "")
    return f"{name}: {summary}" if summary else name


def _group_spec(payload: WebhookIn) -> alerts.AlertSpec:
    labels = payload.commonLabels or payload.groupLabels
    distinct = list({_fingerprint(a): a for a in payload.alerts}.values())
    firing = [a for a in distinct if a.status == "firing"]
    resolved = [a for a in distinct if a.status == "resolved"]
    title = _title(labels, payload.commonAnnotations)
    lines = list(dict.fromkeys(_line(payload, a) for a in firing + resolved))
    if payload.truncatedAlerts:
        lines.append(f"- … and {payload.truncatedAlerts} more alerts (truncated by Alertmanager)")
    details: dict[str, Any] = {"groupKey": payload.groupKey, "receiver": payload.receiver, **payload.commonLabels,
                               FIRING: _listed(payload, firing), RESOLVED: _listed(payload, resolved)}
    return alerts.AlertSpec(
        message=f"[FIRING:{len(firing)}] {title}", description="\n".join(lines), priority=_priority(labels),
        source=payload.externalURL or "alertmanager", entity=payload.receiver, tags=_tags(payload.groupLabels),
        details=details)


def _name(payload: WebhookIn, alert: AlertIn) -> str:
    """What tells this alert from the rest of its group: its instance (or host, pod…), else the labels it does
    not share with the group, else its fingerprint."""
    for label in NAMING_LABELS:
        if alert.labels.get(label):
            return alert.labels[label]
    own = [f"{k}={v}" for k, v in sorted(alert.labels.items()) if payload.commonLabels.get(k) != v]
    return " ".join(own) or alert.fingerprint or _title(alert.labels, alert.annotations)


def _listed(payload: WebhookIn, group: list[AlertIn]) -> str:
    return LIST_SEPARATOR.join(dict.fromkeys(_name(payload, a) for a in group))


def _line(payload: WebhookIn, alert: AlertIn) -> str:
    """One alert of the group, with the labels that tell it apart (its instance always)."""
    own = [f"{k}={v}" for k, v in sorted(alert.labels.items())
           if k in NAMING_LABELS or payload.commonLabels.get(k) != v]
    where = f" [{' '.join(own)}]" if own else ""
    return (f"- [{alert.status}] {_title(alert.labels, alert.annotations)}{where} "
            f"({alert.generatorURL or 'no source URL'})")


def _alert_spec(payload: WebhookIn, alert: AlertIn) -> alerts.AlertSpec:
    description = "\n".join(f"{k}: {v}" for k, v in sorted(alert.annotations.items()))
    return alerts.AlertSpec(
        message=_title(alert.labels, alert.annotations), description=description, priority=_priority(alert.labels),
        source=alert.generatorURL or payload.externalURL or "alertmanager", entity=payload.receiver,
        tags=_tags(alert.labels),
        details={"fingerprint": alert.fingerprint, "startsAt": alert.startsAt, "groupKey": payload.groupKey,
                 **alert.labels})

