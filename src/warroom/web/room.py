"""What the incident room shows, read in as few queries as the page budget allows.

The room renders with the sign-in lookup plus three queries — incident with its role holders,
the latest page of the timeline, the checklist with its playbooks' titles — however long the
timeline is (at most 5 SQL statements for 10,000 entries, BEGIN included on SQLite; ADR 0003).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import User
from warroom.announcement_days import service as announcement_days
from warroom.checklists import service as checklists
from warroom.checklists.models import ChecklistItem, ItemState, Phase
from warroom.core.actor import Actor
from warroom.core.errors import NotFound
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Status
from warroom.playbooks.models import Playbook
from warroom.reports import service as reports
from warroom.roles.models import LEAD, MESSENGER, RoleAssignment
from warroom.roles.service import role_label
from warroom.statuspage import flows as public_updates
from warroom.timeline import service as timeline
from warroom.timeline.service import EntryView

PAGE_SIZE = 200


@dataclass(frozen=True)
class RoleHolder:
    role: str
    label: str
    user_id: int
    handle: str
    name: str
    assigned_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class ChecklistGroup:
    title: str
    items: list[ChecklistItem]

    @property
    def settled(self) -> int:
        return sum(1 for item in self.items if item.state is not ItemState.open)


@dataclass(frozen=True)
class AttachedPlaybook:
    slug: str
    title: str


@dataclass(frozen=True)
class RoomLinks:
    report_id: int | None = None
    announcement_day_id: int | None = None
    still_public_id: int | None = None  # a status page incident still in progress for it, if any


@dataclass(frozen=True)
class Panel:
    """The side panel: where the incident stands, who holds which role, the checklist."""

    incident: Incident
    roles: list[RoleHolder]
    groups: list[ChecklistGroup]
    attached: list[AttachedPlaybook]
    missing_for_close: list[ChecklistItem]
    # Who takes part, shown for a private security incident (read only then: public rooms pay nothing).
    participants: list[visibility.Participant] = field(default_factory=list)
    # The report it was declared from and the announcement day it fell on (read with the incident).
    links: RoomLinks = field(default_factory=RoomLinks)
    # Once resolved: where customers still read it as in progress (read only when a page still does).
    still_public: str | None = None

    def holder(self, role: str) -> RoleHolder | None:
        return next((h for h in self.roles if h.role == role), None)

    @property
    def custom_roles(self) -> list[str]:
        return [h.role for h in self.roles if h.role not in (LEAD, MESSENGER)]


@dataclass(frozen=True)
class TimelinePage:
    entries: list[EntryView]
    has_earlier: bool
    before: int | None  # set when this is an older page, not the latest

    @property
    def first_id(self) -> int | None:
        return self.entries[0].id if self.entries else None

    @property
    def last_id(self) -> int:
        return self.entries[-1].id if self.entries else 0


def incident_with_roles(db: Session, ref: str | int) -> tuple[Incident, list[RoleHolder], RoomLinks]:
    """One query: the incident, its role holders (with their names), its report and announcement day."""
    incident_id = incidents.parse_ref(ref)
    rows = db.execute(
        sa.select(Incident, RoleAssignment, User, reports.report_id_of(Incident.id),
                  announcement_days.day_id_of(Incident.id), public_updates.unresolved_public_of(Incident.id))
        .outerjoin(RoleAssignment, RoleAssignment.incident_id == Incident.id)
        .outerjoin(User, User.id == RoleAssignment.user_id)
        .where(Incident.id == incident_id)
        .order_by(RoleAssignment.id)
    ).all()
    if not rows:
        raise NotFound(f"No incident {ref}.", field="incident")
    holders = [
        RoleHolder(a.role, role_label(a.role), u.id, u.handle, u.name, a.assigned_at, a.acknowledged_at)
        for _, a, u, _, _, _ in rows
        if a is not None and u is not None
    ]
    holders.sort(key=lambda h: (h.role != LEAD, h.role != MESSENGER, h.role))
    return rows[0][0], holders, RoomLinks(rows[0][3], rows[0][4], rows[0][5])


_PHASE_TITLES = {Phase.first_response: "First response", Phase.post_resolution: "After resolution"}


def checklist(db: Session, incident_id: int) -> tuple[list[ChecklistGroup], list[AttachedPlaybook]]:
    """One query: the checklist in order, grouped by phase, each playbook's steps under its title."""
    rows = db.execute(
        sa.select(ChecklistItem, Playbook.slug, Playbook.title)
        .outerjoin(Playbook, Playbook.id == ChecklistItem.playbook_id)
        .where(ChecklistItem.incident_id == incident_id)
        .order_by(ChecklistItem.position, ChecklistItem.id)
    ).all()
    groups: dict[str, list[ChecklistItem]] = {}
    attached: dict[str, AttachedPlaybook] = {}
    for item, slug, title in rows:
        if item.phase is Phase.playbook:
            name = f"Playbook: {title}" if title else "Playbook steps"
            if slug:
                attached.setdefault(slug, AttachedPlaybook(slug, title))
        else:
            name = _PHASE_TITLES.get(item.phase, item.phase.value)
        groups.setdefault(name, []).append(item)
    return [ChecklistGroup(t, items) for t, items in groups.items()], list(attached.values())


def load_panel(db: Session, ref: str | int, actor: Actor) -> Panel:
    """The panel, for someone who may see the incident (a private one is "not found" for anyone else)."""
    incident, holders, links = incident_with_roles(db, ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    groups, attached = checklist(db, incident.id)
    items = [item for group in groups for item in group.items]
    people = visibility.list_participants(db=db, incident=incident) if visibility.is_private(incident) else []
    still_public = (public_updates.what_customers_read(db=db, incident=incident)
                    if incident.status is Status.resolved and links.still_public_id is not None else None)
    return Panel(incident, holders, groups, attached, checklists.missing_for_close(items), people, links,
                 still_public)


def load_timeline(db: Session, incident_id: int, before: int | None = None) -> TimelinePage:
    """The latest page (or the page before an entry). One query: a row more than shown says if there is more."""
    entries = timeline.list_entries(db=db, incident_id=incident_id, before_id=before, limit=PAGE_SIZE + 1)
    has_earlier = len(entries) > PAGE_SIZE
    return TimelinePage(entries[-PAGE_SIZE:] if has_earlier else entries, has_earlier, before)
