"""Nudge an incident room when nobody has posted a status update for a while.

An engine manager: each time the engine runs its managers (at most once a second) it finds active incidents
whose last status update (or last nudge) is older than their severity's threshold and posts one reminder,
addressed to the incident lead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from warroom.announcement_days import service as announcement_days
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.db.engine import Database
from warroom.engine.runner import Manager
from warroom.incidents.models import Incident, Severity, Status
from warroom.roles import service as roles
from warroom.roles.models import LEAD
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

ACTIVE = (Status.investigating, Status.identified, Status.monitoring)


def thresholds(settings: Settings) -> dict[Severity, timedelta]:
    minutes = {Severity.critical: settings.status_reminder_critical_minutes,
               Severity.major: settings.status_reminder_major_minutes}
    return {level: timedelta(minutes=m) for level, m in minutes.items() if m > 0}


def quiet_incidents(*, db: sa.orm.Session, now: datetime, limits: dict[Severity, timedelta]) -> list[Incident]:
    conditions = []
    for level, quiet_for in limits.items():
        cutoff = now - quiet_for
        conditions.append(sa.and_(
            Incident.severity == level,
            Incident.last_status_update_at <= cutoff,
            sa.or_(Incident.last_reminder_at.is_(None), Incident.last_reminder_at <= cutoff),
        ))
    if not conditions:
        return []
    query = (sa.select(Incident).where(Incident.status.in_(ACTIVE), sa.or_(*conditions))
             .order_by(Incident.id).limit(200).with_for_update(skip_locked=True))
    return list(db.scalars(query))


def remind(*, db: sa.orm.Session, incident: Incident, now: datetime, clock: Clock) -> None:
    lead = roles.current(db=db, incident_id=incident.id, role=LEAD)
    holder = next((u.handle for a, u in roles.holders(db=db, incident_id=incident.id) if lead and a.id == lead.id),
                  None)
    since = incident.last_status_update_at or incident.declared_at
    quiet = int((now - since).total_seconds() // 60)
    who = f"@{holder}" if holder else "Incident lead (none assigned yet)"
    timeline.add_entry(db=db, incident=incident, actor=Actor.system(clock), kind=EntryKind.system,
                       body=f"{who}: no status update for {quiet} minutes. Post one with /incident update … "
                            "or /incident summary …", reminder=True, quiet_minutes=quiet)
    incident.last_reminder_at = now


def make_manager(settings: Settings, clock: Clock) -> Manager:
    limits = thresholds(settings)

    def status_update_reminders(database: Database, now: datetime) -> None:
        with database.writing() as db:
            limits_now = announcement_days.reminder_limits(db=db, now=now, limits=limits)
            for incident in quiet_incidents(db=db, now=now, limits=limits_now):
                remind(db=db, incident=incident, now=now, clock=clock)

    return status_update_reminders
