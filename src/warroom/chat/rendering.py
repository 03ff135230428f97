"""What an incident looks like in chat: the room's name and topic, the pinned summary, the announcement.

Rendered from the incident as it is now, so every update in place shows the current state however many
changes happened while the platform was unreachable. A private security incident shows nothing of itself
outside its room: a room name without its title, and the redacted line in the announcements channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.announcements.service import headline
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Status
from warroom.roles import service as roles
from warroom.roles.models import LEAD, MESSENGER

MAX_ROOM_NAME = 80
PRIVATE_ROOM = "🔒 A private security incident: only the members of this room may read it."
MOVED_TO_PRIVATE = ("🔒 This incident is now handled as a private security incident and continues in a private "
                    "room; its participants are invited there. Messages here stay in this archived room: a workspace "
                    "admin removes them if they must not be read.")


@dataclass(frozen=True)
class IncidentView:
    id: int
    ref: str
    title: str
    severity: str
    status: str
    headline: str
    lead: str | None  # handle
    messenger: str | None  # handle
    summary: str
    description: str
    private: bool
    closed: bool
    false_positive: bool
    declared_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    url: str


def _holder(db: Session, incident: Incident, role: str) -> str | None:
    assignment = roles.current(db=db, incident_id=incident.id, role=role)
    user = accounts.get_user(db=db, user_id=assignment.user_id) if assignment else None
    return user.handle if user else None


def load_view(*, db: Session, incident: Incident, base_url: str) -> IncidentView:
    return IncidentView(
        id=incident.id, ref=incident.ref, title=incident.title, severity=incident.severity.value,
        status=incident.status.value, headline=headline(incident), lead=_holder(db, incident, LEAD),
        messenger=_holder(db, incident, MESSENGER),
        summary=incident.summary, description=incident.description, private=visibility.is_private(incident),
        closed=incident.status is Status.closed, false_positive=incident.is_false_positive,
        declared_at=incident.declared_at, resolved_at=incident.resolved_at, closed_at=incident.closed_at,
        url=f"{base_url.rstrip('/')}/incidents/{incident.ref}",
    )


def slug(title: str, limit: int) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words[:limit].rstrip("-")


def room_name(view: IncidentView) -> str:
    """``inc-<n>-<slug>``; a private incident's room is ``inc-<n>`` (its title stays out of the room list)."""
    base = f"inc-{view.id}"
    if view.private:
        return base
    rest = slug(view.title, MAX_ROOM_NAME - len(base) - 1)
    return f"{base}-{rest}" if rest else base


def second_name(name: str) -> str:
    """The name tried when another room has ``name`` already: ``inc-12-search-down-2``."""
    return f"{name[:MAX_ROOM_NAME - 2]}-2"


def _lead(view: IncidentView) -> str:
    return f"lead @{view.lead}" if view.lead else "no lead yet"


def topic(view: IncidentView) -> str:
    """The handbook's at-a-glance line: severity · status · lead."""
    return f"{view.severity.title()} · {view.status} · {_lead(view)}"


def summary_message(view: IncidentView) -> str:
    lines = [f"*{view.ref}: {view.title}*",
             f"Severity: {view.severity.title()} · Status: {view.status} · Lead: "
             f"{'@' + view.lead if view.lead else 'none yet (/incident lead @engineer)'}"
             + (f" · Messenger: @{view.messenger}" if view.messenger else "")]
    if view.private:
        lines.append(PRIVATE_ROOM)
    if view.summary:
        lines.append(f"Summary: {view.summary}")
    elif view.description:
        lines.append(view.description[:1500])
    lines.append(f"<{view.url}|Open {view.ref} in Warroom> · `/incident help` lists the commands")
    return "\n".join(lines)


def announcement_message(view: IncidentView, room_id: str | None) -> str:
    if view.private:
        kind = "closed" if view.closed else "resolved" if view.status == Status.resolved.value else "declared"
        return visibility.redacted_line(kind, view.ref)
    where = f" · <#{room_id}>" if room_id and not view.closed else ""
    return f"{view.headline} — {view.status} · {_lead(view)}{where}\n<{view.url}|{view.ref} in Warroom>"


def _duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "unknown"
    minutes = int((end - start).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def final_message(view: IncidentView) -> str:
    outcome = "a false positive" if view.false_positive else "resolved"
    lines = [f"*{view.ref} is closed* ({outcome}). Time to resolve: {_duration(view.declared_at, view.resolved_at)}; "
             f"open for {_duration(view.declared_at, view.closed_at)}."]
    if view.summary:
        lines.append(f"Summary: {view.summary}")
    lines.append(f"This channel is archived now. The timeline, postmortem and follow-ups: <{view.url}|{view.ref}>")
    return "\n".join(lines)
