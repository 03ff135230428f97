"""What the alert pages show, read in a few queries: the tabs with their counts, one alert with its
timeline and delivery records, and the small "has anything changed" signatures the live streams poll.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.incidents.models import Incident
from warroom.notifications.service import DeliveryView
from warroom.oncall.alerts import privacy, queries, routing
from warroom.oncall.alerts.models import Alert, AlertEvent, AlertStatus
from warroom.oncall.alerts.queries import Names
from warroom.oncall.alerts.service import EventView
from warroom.oncall.keys.models import IntegrationKey

PER_PAGE = 50
TABS = (AlertStatus.open, AlertStatus.acknowledged, AlertStatus.closed)
TIMELINE_LIMIT = 1000  # events shown on the alert page (an alert this busy has its API for the rest)



def parse_tab(value: str) -> AlertStatus:
    """The tab in the address; anything unknown shows the open alerts."""
    return AlertStatus(value) if value in AlertStatus.__members__ else AlertStatus.open


def responder_labels(alert: Alert, names: Names) -> list[str]:
    labels = []
    for r in alert.responders:
        kind, ref = str(r.get("type")), int(r.get("id", 0))
        name = names.get((kind, ref), f"#{ref}")
        labels.append(f"@{name}" if kind == "user" else f"{kind} {name}")
    if not labels and alert.escalation_policy_id:
        labels.append(f"policy {names.get(('escalation', alert.escalation_policy_id), alert.escalation_policy_id)}")
    if not labels and alert.team_id:
        labels.append(f"team {names.get(('team', alert.team_id), alert.team_id)}")
    return labels


def user_name(names: Names, user_id: int | None) -> str:
    return f"@{names.get(('user', user_id), '?')}" if user_id is not None else ""


# The list --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListPage:
    tab: AlertStatus
    number: int
    rows: list[Alert]
    total: int
    counts: dict[str, int]
    names: Names
    unrouted: bool = False  # the "Unrouted" filter: only alerts Warroom could not route as asked

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))

    def url(self, number: int) -> str:
        return "/alerts?" + urlencode({"status": self.tab.value, "page": str(number),
                                       **({"unrouted": "1"} if self.unrouted else {})})

    def tab_url(self, tab: str) -> str:
        return "/alerts?" + urlencode({"status": tab, **({"unrouted": "1"} if self.unrouted else {})})

    @property
    def filter_url(self) -> str:
        """The same tab with the "Unrouted" filter turned the other way."""
        return "/alerts?" + urlencode({"status": self.tab.value, **({} if self.unrouted else {"unrouted": "1"})})

    def labels(self, alert: Alert) -> list[str]:
        return responder_labels(alert, self.names)

    def who(self, user_id: int | None) -> str:
        return user_name(self.names, user_id)


def tab_counts(db: Session, unrouted: bool = False) -> dict[str, int]:
    query = sa.select(Alert.status, sa.func.count()).group_by(Alert.status)
    if unrouted:
        query = query.where(Alert.unrouted.is_(True))
    found = {status: int(n) for status, n in db.execute(query)}
    return {tab.value: int(found.get(tab, 0)) for tab in TABS}


def parse_unrouted(value: str) -> bool:
    """The "Unrouted" filter in the address: on for 1, true, yes or on."""
    return value.strip().lower() in ("1", "true", "yes", "on")


def list_page(db: Session, tab: AlertStatus, number: int, actor: Actor, unrouted: bool = False) -> ListPage:
    """One tab's page as this person may read it: alerts of private incidents they cannot see are redacted."""
    listed = queries.list_readable(db=db, actor=actor, status=[tab], unrouted=unrouted, limit=PER_PAGE,
                                   offset=(number - 1) * PER_PAGE)
    return ListPage(tab, number, listed.rows, listed.total, tab_counts(db, unrouted), listed.names, unrouted)


def list_signature(db: Session) -> tuple[Any, ...]:
    """Changes when any alert opens, changes or counts a duplicate (every change writes an event or a time)."""
    newest_event = db.scalar(sa.select(sa.func.max(AlertEvent.id)))
    changed, total = db.execute(sa.select(sa.func.max(Alert.updated_at), sa.func.count(Alert.id))).one()
    return int(newest_event or 0), changed, int(total)


# One alert -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDetail:
    alert: Alert
    names: Names
    incident: Incident | None
    key_name: str
    private: bool = False  # shown redacted: part of a private security incident this person cannot see

    @property
    def labels(self) -> list[str]:
        return responder_labels(self.alert, self.names)

    def who(self, user_id: int | None) -> str:
        return user_name(self.names, user_id)

    @property
    def unresolved(self) -> list[str]:
        """The responders the sender named that Warroom does not know, as a person reads them."""
        return [routing.responder_label(named) for named in self.alert.unresolved_responders]

    @property
    def duplicates(self) -> int:
        return self.alert.count - 1

    @property
    def team(self) -> str:
        return self.names.get(("team", self.alert.team_id), "") if self.alert.team_id else ""

    @property
    def details(self) -> list[tuple[str, str]]:
        """The alert's details as lines to show: text as it is, anything structured as JSON."""
        return [(str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
                for key, value in sorted(self.alert.details.items(), key=lambda item: str(item[0]))]


def detail(db: Session, alert_id: int, actor: Actor) -> AlertDetail:
    """One alert as this person may read it: redacted, without its incident, when that incident is private to
    them."""
    alert = db.get(Alert, alert_id, populate_existing=True)
    if alert is None:
        raise NotFound(f"No alert #{alert_id}.", field="alert")
    key = db.get(IntegrationKey, alert.integration_key_id) if alert.integration_key_id else None
    shown = queries.readable(db=db, actor=actor, alert=alert)
    incident = db.get(Incident, alert.incident_id) if alert.incident_id and not shown.private else None
    return AlertDetail(shown.alert, shown.names, incident, key.name if key else "", private=shown.private)


def events_after(db: Session, alert_id: int, after: int = 0, limit: int = TIMELINE_LIMIT, *,
                 private: bool = False) -> list[EventView]:
    """The alert's timeline after an event id, oldest first, with who did each thing (``private``: no words)."""
    query = (sa.select(AlertEvent, User.handle).outerjoin(User, User.id == AlertEvent.actor_id)
             .where(AlertEvent.alert_id == alert_id, AlertEvent.id > after).order_by(AlertEvent.id).limit(limit))
    found = [EventView(e.id, e.kind, e.body, e.data, e.created_at, h) for e, h in db.execute(query)]
    return privacy.redacted_events(found) if private else found


def state_signature(alert: Alert) -> tuple[Any, ...]:
    return (alert.status, alert.updated_at, alert.count, alert.snoozed_until, alert.incident_id,
            alert.acknowledged_by_id)


def delivery_signature(found: Sequence[DeliveryView]) -> tuple[tuple[int, str, int, datetime | None, str], ...]:
    return tuple((d.id, d.status.value, d.attempts, d.sent_at, d.provider_status) for d in found)
