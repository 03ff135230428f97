"""Alerts as a person may read them: the read shapes the REST API and the web pages share.

A page of alerts, or one alert, comes back with the handles and slugs it mentions (one query for the whole
page) and, for an alert of a private security incident this person cannot see, redacted: no words, no incident
(ADR 0004). Its timeline and delivery records are redacted the same way. Each transport renders these shapes;
none of them reads the tables itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.notifications import service as notifications
from warroom.notifications.service import DeliveryView
from warroom.oncall.alerts import privacy
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus
from warroom.oncall.alerts.service import EventView
from warroom.oncall.escalation import policies

Names = dict[tuple[str, int], str]


def names_for(db: Session, found: Sequence[Alert]) -> Names:
    """Handles and slugs of everyone and everything the alerts mention: one query for the whole page."""
    refs: list[tuple[str, int]] = []
    for alert in found:
        refs.extend((str(r.get("type")), int(r.get("id", 0))) for r in alert.responders)
        refs.extend((kind, ref) for kind, ref in (("team", alert.team_id), ("escalation", alert.escalation_policy_id),
                                                  ("user", alert.acknowledged_by_id), ("user", alert.closed_by_id))
                    if ref is not None)
    return policies.names_of(db=db, refs=refs)


@dataclass(frozen=True)
class AlertList:
    """One page of alerts, newest first, as this person may read them, with their total and names."""

    rows: list[Alert]
    total: int
    names: Names


def list_readable(*, db: Session, actor: Actor, status: Sequence[AlertStatus] = (), team_id: int | None = None,
                  incident_id: int | None = None, unrouted: bool = False, limit: int = 50,
                  offset: int = 0) -> AlertList:
    """A page of alerts: those of private incidents this person cannot see are redacted."""
    found, total = alerts.list_alerts(db=db, status=status, team_id=team_id, incident_id=incident_id,
                                      unrouted=unrouted, limit=limit, offset=offset)
    rows = privacy.shown(found, privacy.hidden_from(db, actor, found))
    return AlertList(rows, total, names_for(db, rows))


@dataclass(frozen=True)
class ReadableAlert:
    """One alert as this person may read it; ``private``: shown redacted, without its incident."""

    alert: Alert
    names: Names
    private: bool


def readable(*, db: Session, actor: Actor, alert: Alert) -> ReadableAlert:
    if not privacy.may_read(db, actor, alert):
        shown = privacy.redacted(alert)
        return ReadableAlert(shown, names_for(db, [shown]), True)
    return ReadableAlert(alert, names_for(db, [alert]), False)


def timeline(*, db: Session, alert_id: int, private: bool) -> list[EventView]:
    """The alert's events, oldest first (``private``: what happened and who, but no words)."""
    found = alerts.events(db=db, alert_id=alert_id)
    return privacy.redacted_events(found) if private else found


def deliveries(*, db: Session, alert_id: int, private: bool) -> list[DeliveryView]:
    """Who was notified of the alert, how, and how it went (``private``: without the error texts)."""
    found = notifications.delivery_records(db=db, alert_id=alert_id)
    return privacy.redacted_deliveries(found) if private else found
