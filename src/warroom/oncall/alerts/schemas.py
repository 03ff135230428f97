"""Alerts, paging and who is on call, on the wire.

Inputs forbid unknown fields. Priorities, targets and incident references stay plain strings here: the
services parse them and say what went wrong (P1 to P5; a team, @handle or email; INC-42).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.bounds import Int, Ref
from warroom.notifications.service import DeliveryView
from warroom.oncall.alerts.models import Alert
from warroom.oncall.alerts.service import EventView

Names = Mapping[tuple[str, int], str]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Inputs -----------------------------------------------------------------------------------------------


class ResponderIn(Input):
    type: str = Field(description="user, team, schedule or escalation (a policy, paged alone).",
                      examples=["team"])
    id: Ref | str = Field(description="An id, or @handle / email (people) or slug.", examples=["engineering"])


class AlertIn(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message: str = Field(description="What is wrong, in one line (130 characters are kept).",
                         examples=["Search is down"])
    alias: str = Field("", description="Dedup key: while an alert with this alias is open, more events only "
                                       "count up. Generated when left out.")
    description: str = ""
    priority: str | None = Field(None, description="P1 (critical) to P5 (informational); P3 when left out "
                                                   "(the incident's level when attached to one).")
    tags: list[str] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    responders: list[ResponderIn] = Field(default_factory=list, description="Who to page; or use 'for'.")
    for_: str | None = Field(None, alias="for", description="The handbook's form: a team, @handle or email.",
                             examples=["customer-support"])
    incident: str | None = Field(None, description="Attach to this incident, e.g. INC-42.")


class NoteIn(Input):
    note: str


class ActionIn(Input):
    note: str = Field("", description="Optional: why, for the alert's timeline.")


class SnoozeIn(Input):
    until: datetime | None = Field(None, description="Quiet until this time (within 7 days; UTC without an "
                                                     "offset).")
    minutes: Int | None = Field(None, description="Or: quiet for this many minutes.")
    note: str = ""


class ReassignIn(Input):
    to: str = Field(description="A team, @handle or email.", examples=["@dan"])


class AttachIn(Input):
    incident: str = Field(examples=["INC-42"])


class DeclareFromAlertIn(Input):
    severity: str = Field(description="critical or major.", examples=["critical"])
    title: str | None = Field(None, description="The incident's title; the alert's message when left out.")


class PageIn(Input):
    description: str = Field(examples=["we have an incident, please help"])
    target: str = Field(description="A team, @handle or email.", examples=["customer-support"])
    priority: str | None = Field(None, description="P1 to P5; from the incident's severity when paging into one.")
    incident: str | None = Field(None, description="Page into this incident (its room records the page).")


# Outputs ----------------------------------------------------------------------------------------------


class ResponderOut(BaseModel):
    type: str
    id: int
    name: str = Field(description="Handle or slug.")


def _name(names: Names, kind: str, ref: int | None) -> str | None:
    return None if ref is None else names.get((kind, ref), f"{kind}-{ref}")


class AlertOut(BaseModel):
    id: int
    tiny_id: str
    alias: str
    status: str
    message: str
    description: str
    priority: str
    source: str
    entity: str
    tags: list[str]
    details: dict[str, Any]
    responders: list[ResponderOut]
    unresolved_responders: list[dict[str, str]] = Field(
        description="Responders the sender named that Warroom does not know ({type, name} or {type, id}); the "
                    "alert paged the others, its key's team or policy, or the catch-all instead.")
    unrouted: bool = Field(description="Something it asked for could not be routed (see unresolved_responders), "
                                       "or nothing routed it and it paged the catch-all.")
    team: str | None = Field(description="Team slug.")
    escalation_policy: str | None = Field(description="Policy slug, when the alert runs one directly.")
    incident: str | None = Field(description="The incident it belongs to, e.g. INC-42.")
    count: int = Field(description="How many events arrived for it (duplicates included).")
    created_at: datetime
    updated_at: datetime
    last_occurred_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None = Field(description="Handle.")
    closed_at: datetime | None
    closed_by: str | None = Field(description="Handle.")
    snoozed_until: datetime | None
    url: str

    @classmethod
    def of(cls, alert: Alert, names: Names, base_url: str) -> AlertOut:
        responders = [ResponderOut(type=str(r.get("type")), id=int(r.get("id", 0)),
                                   name=_name(names, str(r.get("type")), int(r.get("id", 0))) or "")
                      for r in alert.responders]
        return cls(
            id=alert.id, tiny_id=alert.tiny_id, alias=alert.alias, status=alert.status.value, message=alert.message,
            description=alert.description, priority=alert.priority.value, source=alert.source,
            entity=alert.entity, tags=list(alert.tags), details=dict(alert.details), responders=responders,
            unresolved_responders=[{str(k): str(v) for k, v in r.items()} for r in alert.unresolved_responders],
            unrouted=alert.unrouted,
            team=_name(names, "team", alert.team_id),
            escalation_policy=_name(names, "escalation", alert.escalation_policy_id),
            incident=f"INC-{alert.incident_id}" if alert.incident_id else None, count=alert.count,
            created_at=alert.created_at, updated_at=alert.updated_at, last_occurred_at=alert.last_occurred_at,
            acknowledged_at=alert.acknowledged_at, acknowledged_by=_name(names, "user", alert.acknowledged_by_id),
            closed_at=alert.closed_at, closed_by=_name(names, "user", alert.closed_by_id),
            snoozed_until=alert.snoozed_until, url=f"{base_url.rstrip('/')}/alerts/{alert.id}",
        )


class AlertEventOut(BaseModel):
    id: int
    kind: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    actor: str | None = Field(description="Handle; null for Warroom itself.")

    @classmethod
    def of(cls, event: EventView) -> AlertEventOut:
        return cls(id=event.id, kind=event.kind, body=event.body, data=dict(event.data),
                   created_at=event.created_at, actor=event.actor_handle)


class DeliveryOut(BaseModel):
    """One notification to one person: its delivery record."""

    id: int
    kind: str = Field(description="email, webhook, chat, sms or voice.")
    user: str = Field(description="Handle.")
    status: str = Field(description="queued, sent, failed or cancelled.")
    attempts: int
    last_error: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    provider_status: str = Field("", description="SMS and voice: what Twilio last reported (delivered, "
                                 "undelivered, busy, no-answer...); empty until it reports.")

    @classmethod
    def of(cls, record: DeliveryView) -> DeliveryOut:
        return cls(id=record.id, kind=record.kind.value, user=record.user_handle, status=record.status.value,
                   attempts=record.attempts, last_error=record.last_error, created_at=record.created_at,
                   due_at=record.due_at, sent_at=record.sent_at, provider_status=record.provider_status)


class AlertDetailOut(AlertOut):
    events: list[AlertEventOut] = Field(description="The alert's own timeline, oldest first.")
    deliveries: list[DeliveryOut] = Field(description="Every notification sent (or waiting) for it.")


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class RaisedOut(BaseModel):
    message: str
    created: bool = Field(description="False when an open alert with the same alias only counted one more.")
    count: int
    alert: AlertOut


class AlertOutcomeOut(BaseModel):
    message: str
    alert: AlertOut


class PagedOut(BaseModel):
    message: str
    alert_id: int
    created: bool
    target: str = Field(description="Who is paged, e.g. 'team customer-support' or '@dan'.")
    incident: str | None


class OnCallLineOut(BaseModel):
    schedule: str
    team: str | None
    users: list[str] = Field(description="Handles; empty when nobody is on call (a gap).")


class WhoIsOnCallOut(BaseModel):
    message: str = Field(description="What /genie whoisoncall answers.")
    at: datetime
    on_call: list[OnCallLineOut]
