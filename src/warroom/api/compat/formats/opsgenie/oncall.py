"""Opsgenie's Who-is-on-call API on Warroom schedules: ``GET /v2/schedules/{identifier}/on-calls``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.core.bounds import is_count
from warroom.core.clock import as_utc
from warroom.importers import source_ids
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import Schedule

from .wire import OpsgenieError, authenticate, same_team, unprocessable

ONCALL_KEYS = (KeyKind.opsgenie,)


def parse_date(text: str | None, now: datetime) -> datetime:
    """Opsgenie's ``date`` (``2017-01-15T08:00:00+02:00``); an unescaped '+' arrives as a space."""
    if not text:
        return now
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        raise unprocessable({"date": "date is yyyy-MM-dd'T'HH:mm:ssZ, e.g. 2017-01-15T08:00:00+02:00."}) from None
    if moment.tzinfo is None:
        raise unprocessable({"date": "date needs a UTC offset, e.g. 2017-01-15T08:00:00+02:00."})
    return as_utc(moment)


def find_schedule(db: Session, identifier: str, kind: str) -> Schedule:
    if kind not in ("id", "name"):
        raise unprocessable({"scheduleIdentifierType": "scheduleIdentifierType should be one of [id, name]."})
    text = identifier.strip()
    if kind == "id":
        schedule = db.get(Schedule, int(text)) if is_count(text) else None
        schedule = schedule or source_ids.row(db, Schedule, "schedule", text)
    else:
        lowered = text.lower()
        schedule = db.scalar(sa.select(Schedule).where(sa.or_(
            sa.func.lower(Schedule.name) == lowered, Schedule.slug == lowered)).order_by(Schedule.id).limit(1))
    if schedule is None:
        raise OpsgenieError(404, f"Schedule with {kind} '{identifier}' does not exist.")
    return schedule


def on_calls(*, db: Session, header: str | None, identifier: str, kind: str, flat: bool,
             at: datetime) -> dict[str, Any]:
    key = authenticate(db, header, ONCALL_KEYS)
    schedule = find_schedule(db, identifier, kind)
    same_team(key, schedule.team_id, "schedule")
    people = schedules.who_is_on_call(db=db, schedule=schedule, at=at)
    data: dict[str, Any] = {"_parent": {"id": str(schedule.id), "name": schedule.name, "enabled": True}}
    if flat:
        data["onCallRecipients"] = [person.email for person in people]
    else:
        data["onCallParticipants"] = [{"id": str(p.id), "name": p.email, "type": "user"} for p in people]
    return data
