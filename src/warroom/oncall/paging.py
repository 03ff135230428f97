"""The handbook's paging steps: who is on call, and "/genie alert … for <team or user>".

Paging from an incident room pages into that incident: the alert is linked to it, the room records the
page, and the "page someone who can help" step is ticked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Team, User
from warroom.checklists import service as checklists
from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Severity
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Priority
from warroom.oncall.alerts.service import AlertSpec
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

SEVERITY_PRIORITY = {Severity.critical: Priority.p1, Severity.major: Priority.p2}


@dataclass(frozen=True)
class PageTarget:
    label: str
    responders: list[dict[str, Any]]
    team_id: int | None


def find_target(*, db: Session, target: str) -> PageTarget:
    """`@team` or `team-name` → a team; `user@email` or `@user` → a person (a team name wins over a handle)."""
    text = target.strip()
    bare = text.lstrip("@")
    if "@" not in bare:
        team = accounts.find_team(db=db, name=bare)
        if team is not None:
            return PageTarget(f"team {team.slug}", [{"type": "team", "id": team.id}], team.id)
    try:
        user = accounts.find_person(db=db, who=text)
    except NotFound:
        raise NotFound(f"No team or person '{text}'. Use a team name (e.g. customer-support), @handle or email.",
                       field="target") from None
    return PageTarget(f"@{user.handle}", [{"type": "user", "id": user.id}], None)


@dataclass
class Paged:
    alert_id: int
    created: bool
    label: str
    incident_ref: str | None = None
    notes: list[str] = field(default_factory=list)


def page(
    *, db: Session, actor: Actor, description: str, target: str, priority: str | None = None,
    incident_ref: str | None = None,
) -> Paged:
    actor.require(AccessRole.responder)
    who = find_target(db=db, target=target)
    incident = incidents.lock_incident(db=db, ref=incident_ref) if incident_ref else None
    if incident is not None:  # paging into a private incident one may not see: as if it did not exist
        visibility.require_visible(db=db, actor=actor, incident=incident, ref=incident_ref)
    level = alerts.parse_priority(priority) if priority else (
        SEVERITY_PRIORITY[incident.severity] if incident else Priority.p3)
    spec = AlertSpec(message=description, description=description, priority=level, source="genie",
                     responders=who.responders, team_id=who.team_id,
                     incident_id=incident.id if incident else None,
                     details={"paged_by": actor.handle} | ({"incident": incident.ref} if incident else {}))
    raised = alerts.raise_alert(db=db, actor=actor, spec=spec)
    if incident is not None:
        timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.page,
                           body=f"Paged {who.label}: {description.strip()} (alert #{raised.alert_id})",
                           alert_id=raised.alert_id, target=who.label)
        checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.PAGED)
    return Paged(raised.alert_id, raised.created, who.label, incident.ref if incident else None)


@dataclass(frozen=True)
class OnCallLine:
    schedule: str
    team: str | None
    people: list[User]


def who_is_on_call(*, db: Session, target: str = "", at: datetime) -> list[OnCallLine]:
    """On call at a time for a team (its schedules), a schedule, or every schedule when no target is named."""
    from warroom.oncall.schedules import service as schedules

    if not target.strip():
        chosen = schedules.list_schedules(db=db)
    else:
        team = accounts.find_team(db=db, name=target)
        if team is not None:
            chosen = schedules.schedules_for_team(db=db, team=team)
            if not chosen:
                raise NotFound(f"Team {team.slug} has no on-call schedule yet; page it with "
                               f"/genie alert … for {team.slug} (it pages every member).", field="target")
        else:
            try:
                chosen = [schedules.get_schedule(db=db, ref=target.strip())]
            except NotFound:
                raise NotFound(f"No team or schedule '{target.strip()}'.", field="target") from None
    teams = {t.id: t.slug for t in accounts.list_teams(db=db)}
    return [OnCallLine(s.name, teams.get(s.team_id) if s.team_id else None,
                       schedules.who_is_on_call(db=db, schedule=s, at=at)) for s in chosen]


def describe_on_call(lines: list[OnCallLine], at: datetime, now: datetime) -> str:
    when = "now" if abs((at - now).total_seconds()) < 60 else f"at {at:%Y-%m-%d %H:%M} UTC"
    if not lines:
        return "No on-call schedules yet."
    parts = []
    for line in lines:
        people = ", ".join(f"@{p.handle}" for p in line.people) or "nobody"
        team = f" ({line.team})" if line.team else ""
        parts.append(f"{line.schedule}{team}: {people}")
    return f"On call {when}: " + "; ".join(parts)


def team_of(db: Session, team_id: int | None) -> Team | None:
    return db.get(Team, team_id) if team_id else None
