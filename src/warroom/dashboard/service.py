"""Every past and present incident: filters, search and headline figures.

Each query takes the viewer: a private security incident is listed, found and counted only for those who
may see it (``incidents.visibility``), so the figures and the list they drill down to always agree.
``viewer=None`` is Warroom's own view (every incident).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from warroom.accounts.models import User
from warroom.core.actor import Actor
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Resolution, Severity, Status
from warroom.roles.models import LEAD, RoleAssignment
from warroom.timeline.models import EntryKind, TimelineEntry


@dataclass(frozen=True)
class IncidentFilters:
    status: Status | None = None
    active: bool | None = None
    severity: Severity | None = None
    lead: str | None = None  # handle
    declared_from: datetime | None = None
    declared_to: datetime | None = None
    false_positive: bool | None = None
    customer_impact: bool | None = None
    search: str | None = None


@dataclass(frozen=True)
class IncidentRow:
    incident: Incident
    lead_handle: str | None


def _search_condition(term: str) -> sa.ColumnElement[bool]:
    """Incidents whose words or room say ``term``, literally: '%' and '_' are characters, not wildcards."""
    needle = term.strip().lower()
    in_room = sa.exists().where(
        TimelineEntry.incident_id == Incident.id,
        TimelineEntry.kind.in_([EntryKind.message, EntryKind.update, EntryKind.summary_changed]),
        sa.func.lower(TimelineEntry.body).contains(needle, autoescape=True),
    )
    return sa.or_(
        sa.func.lower(Incident.title).contains(needle, autoescape=True),
        sa.func.lower(Incident.summary).contains(needle, autoescape=True),
        sa.func.lower(Incident.description).contains(needle, autoescape=True),
        in_room,
    )


def _visible(viewer: Actor | None) -> sa.ColumnElement[bool]:
    return sa.true() if viewer is None else visibility.visible_to(viewer)


def _filtered(filters: IncidentFilters, viewer: Actor | None) -> sa.Select[Incident, str]:
    lead_user = aliased(User)
    lead_role = aliased(RoleAssignment)
    query = (
        sa.select(Incident, lead_user.handle)
        .outerjoin(lead_role, sa.and_(lead_role.incident_id == Incident.id, lead_role.role == LEAD))
        .outerjoin(lead_user, lead_user.id == lead_role.user_id)
    )
    f = filters
    conditions: list[sa.ColumnElement[bool]] = [_visible(viewer)]
    if f.status is not None:
        conditions.append(Incident.status == f.status)
    if f.active is not None:
        active = Incident.status.in_([Status.investigating, Status.identified, Status.monitoring])
        conditions.append(active if f.active else sa.not_(active))
    if f.severity is not None:
        conditions.append(Incident.severity == f.severity)
    if f.lead:
        conditions.append(lead_user.handle == f.lead.lstrip("@").lower())
    if f.declared_from is not None:
        conditions.append(Incident.declared_at >= f.declared_from)
    if f.declared_to is not None:
        conditions.append(Incident.declared_at < f.declared_to)
    if f.false_positive is not None:
        is_fp = Incident.resolution == Resolution.false_positive
        conditions.append(is_fp if f.false_positive else sa.or_(Incident.resolution.is_(None), sa.not_(is_fp)))
    if f.customer_impact is not None:
        conditions.append(Incident.customer_impact.is_(f.customer_impact))
    if f.search and f.search.strip():
        conditions.append(_search_condition(f.search))
    return query.where(*conditions)


def list_incidents(
    *, db: Session, filters: IncidentFilters, limit: int = 50, offset: int = 0, viewer: Actor | None = None
) -> tuple[list[IncidentRow], int]:
    query = _filtered(filters, viewer)
    total = int(db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0)
    rows = db.execute(query.order_by(Incident.id.desc()).limit(limit).offset(offset))
    return [IncidentRow(incident, handle) for incident, handle in rows], total


@dataclass(frozen=True)
class Figures:
    window_days: int
    severity: str  # "all" or a severity
    declared: int
    false_positives: int
    mtta_seconds: float | None
    mttr_seconds: float | None


@dataclass(frozen=True)
class Headline:
    open_now: int
    open_by_severity: dict[str, int]
    figures: list[Figures]


def _mean_seconds(pairs: list[tuple[datetime, datetime | None]]) -> float | None:
    spans = [(end - start).total_seconds() for start, end in pairs if end is not None]
    return sum(spans) / len(spans) if spans else None


def headline_figures(
    *, db: Session, now: datetime, windows: tuple[int, ...] = (30, 90), viewer: Actor | None = None
) -> Headline:
    """Open now; MTTA (declared → lead acknowledged) and MTTR (declared → resolved) by severity."""
    visible = _visible(viewer)
    open_rows = db.execute(
        sa.select(Incident.severity, sa.func.count())
        .where(Incident.status.in_([Status.investigating, Status.identified, Status.monitoring]), visible)
        .group_by(Incident.severity)
    ).all()
    open_by = {s.value: 0 for s in Severity} | {sev.value: int(n) for sev, n in open_rows}
    oldest = now - timedelta(days=max(windows))
    rows = db.execute(
        sa.select(Incident.declared_at, Incident.acknowledged_at, Incident.resolved_at, Incident.severity,
                  Incident.resolution)
        .where(Incident.declared_at >= oldest, visible)
    ).all()
    figures = []
    for days in windows:
        start = now - timedelta(days=days)
        in_window = [r for r in rows if r.declared_at >= start]
        for level in [None, *Severity]:
            chosen = [r for r in in_window if level is None or r.severity is level]
            figures.append(Figures(
                window_days=days,
                severity=level.value if level else "all",
                declared=len(chosen),
                false_positives=sum(1 for r in chosen if r.resolution is Resolution.false_positive),
                mtta_seconds=_mean_seconds([(r.declared_at, r.acknowledged_at) for r in chosen]),
                mttr_seconds=_mean_seconds([(r.declared_at, r.resolved_at) for r in chosen]),
            ))
    return Headline(sum(open_by.values()), open_by, figures)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m" if minutes else f"{int(seconds)}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"
