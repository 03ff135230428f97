"""An alert's row under lock and its timeline events: what the alert service and escalation both write.

Escalation pages an alert's steps and records what it paged; the alert service starts and stops escalation.
Both need these two things, so they live below both, and neither service imports the other's caller.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.db import pending
from warroom.live.broker import mark
from warroom.oncall.alerts.models import Alert, AlertEvent

MAX_ID = 2**31 - 1  # larger numbers cannot be ids (and PostgreSQL would refuse to compare them)


def alert_channel(alert_id: int) -> str:
    return f"alert:{alert_id}"


def record_event(*, db: Session, actor: Actor, alert_id: int, kind: str, body: str, **data: Any) -> None:
    """One line on the alert's timeline (written with the others of its flush by one INSERT); the alert's live
    page hears of it on commit."""
    pending.add(db, AlertEvent, alert_id=alert_id, kind=kind, actor_id=actor.user_id, body=body, data=data,
                created_at=actor.clock.now())
    mark(db, alert_channel(alert_id))


def lock_alert(*, db: Session, alert_id: int) -> Alert:
    """The alert's row, locked for this transaction and read afresh."""
    if not 0 < alert_id <= MAX_ID:
        raise NotFound(f"No alert #{alert_id}.", field="alert")
    alert = db.scalar(sa.select(Alert).where(Alert.id == alert_id).with_for_update()
                      .execution_options(populate_existing=True))
    if alert is None:
        raise NotFound(f"No alert #{alert_id}.", field="alert")
    return alert
