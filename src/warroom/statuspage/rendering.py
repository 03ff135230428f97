"""What a public status page shows, read in a fixed handful of queries, and its uptime arithmetic.

The view holds only public values: page and component names, public incidents with their published
updates, maintenance windows. Nothing from an incident's room is read here at all.

Uptime per component and day is computed from the state-change history: a partial outage counts as
30% down and a major outage as fully down (the weighting status pages commonly use); degraded
performance and maintenance count as up. Days before a component existed have no figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.statuspage import service
from warroom.statuspage.models import (
    STATE_RANKS,
    ComponentChange,
    ComponentGroup,
    ComponentState,
    PublicIncident,
    PublicIncidentComponent,
    PublicStatus,
    PublicUpdate,
    StatusPage,
    UpdatePosting,
    UpdateState,
)

WINDOW_DAYS = 90
RECENT_DAYS = 7
FEED_ITEMS = 50
PARTIAL_WEIGHT = 0.3
DAY_SECONDS = 86400
# The rendered page is also re-made after this long, so today's uptime figure moves on.
MAX_FRESH = timedelta(minutes=10)


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    state: ComponentState


@dataclass(frozen=True)
class DayCell:
    day: date
    observed: float  # seconds the component existed that day (up to now)
    down: float  # weighted seconds of outage
    worst: ComponentState | None
    seconds: dict[ComponentState, float]
    incidents: tuple[str, ...] = ()

    @property
    def uptime(self) -> float | None:
        if self.observed <= 0:
            return None
        return max(0.0, 1.0 - self.down / self.observed)

    @property
    def css(self) -> str:
        return "none" if self.worst is None else self.worst.value

    def describe(self) -> str:
        """The day's tooltip and screen-reader text."""
        head = self.day.strftime("%d %b %Y")
        if self.uptime is None:
            return f"{head}: no data"
        parts = [f"{head}: {percent(self.uptime)} uptime"]
        for state in (ComponentState.major_outage, ComponentState.partial_outage, ComponentState.degraded,
                      ComponentState.maintenance):
            if self.seconds.get(state, 0) >= 60:
                parts.append(f"{state.label.lower()} {span(self.seconds[state])}")
        parts.extend(self.incidents)
        return " · ".join(parts)


@dataclass(frozen=True)
class ComponentView:
    id: int
    name: str
    description: str
    group_id: int | None
    state: ComponentState
    days: list[DayCell]

    @property
    def uptime(self) -> float | None:
        observed = sum(d.observed for d in self.days)
        if observed <= 0:
            return None
        return max(0.0, 1.0 - sum(d.down for d in self.days) / observed)


@dataclass(frozen=True)
class GroupView:
    id: int | None
    name: str
    components: list[ComponentView]

    @property
    def state(self) -> ComponentState:
        return worst([c.state for c in self.components])


@dataclass(frozen=True)
class UpdateView:
    id: int
    status: PublicStatus
    body: str
    published_at: datetime
    affected: list[tuple[str, ComponentState]]


@dataclass(frozen=True)
class IncidentView:
    id: int
    title: str
    status: PublicStatus
    started_at: datetime
    resolved_at: datetime | None
    updated_at: datetime
    components: list[tuple[str, ComponentState]]
    updates: list[UpdateView]  # newest first

    @property
    def is_active(self) -> bool:
        return self.status is not PublicStatus.resolved


@dataclass(frozen=True)
class MaintenanceItem:
    id: int
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime
    components: list[str]
    ongoing: bool


@dataclass(frozen=True)
class PageView:
    slug: str
    name: str
    description: str
    version: int
    updated_at: datetime
    generated_at: datetime
    groups: list[GroupView]  # the ungrouped components come last, in a group without id
    active: list[IncidentView]
    maintenance: list[MaintenanceItem]
    past: list[tuple[date, list[IncidentView]]]  # newest day first, every day of the span
    recent_updates: list[tuple[IncidentView, UpdateView]] = field(default_factory=list)  # for the feeds
    valid_until: datetime = field(default_factory=lambda: datetime.max.replace(tzinfo=UTC))

    @property
    def components(self) -> list[ComponentView]:
        return [c for g in self.groups for c in g.components]

    @property
    def state(self) -> ComponentState:
        return worst([c.state for c in self.components])

    @property
    def headline(self) -> str:
        state = self.state
        if state is ComponentState.operational:
            return "Incident in progress" if self.active else "All systems operational"
        if state is ComponentState.maintenance:
            return "Maintenance in progress"
        return {ComponentState.degraded: "Degraded performance", ComponentState.partial_outage: "Partial outage",
                ComponentState.major_outage: "Major outage"}[state]

    @property
    def indicator(self) -> str:
        if self.state is ComponentState.operational and self.active:
            return ComponentState.degraded.value
        return self.state.value


def worst(states: Sequence[ComponentState]) -> ComponentState:
    return max(states, key=lambda s: s.rank, default=ComponentState.operational)


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1.0:
        return "100%"
    return f"{min(value * 100, 99.99):.2f}%"


def span(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# Uptime arithmetic ------------------------------------------------------------------------------------------


def segments(changes: Sequence[tuple[datetime, ComponentState]], start: datetime, end: datetime) -> list[Segment]:
    """The component's states over [start, end) from its changes in time order (the last one before start too)."""
    found: list[Segment] = []
    state: ComponentState | None = None
    since = start
    for at, new_state in changes:
        if at <= start:
            state = new_state
            continue
        if at >= end:
            break
        if state is not None and at > since:
            found.append(Segment(since, at, state))
        state, since = new_state, at
    if state is not None and end > since:
        found.append(Segment(since, end, state))
    return found


def overlay_maintenance(parts: list[Segment], windows: Sequence[tuple[datetime, datetime]]) -> list[Segment]:
    """Operational time inside a maintenance window reads as maintenance; worse states stay as they were."""
    result = parts
    for window_start, window_end in windows:
        next_result: list[Segment] = []
        for part in result:
            if part.state is not ComponentState.operational or part.end <= window_start or part.start >= window_end:
                next_result.append(part)
                continue
            if part.start < window_start:
                next_result.append(Segment(part.start, window_start, part.state))
            next_result.append(Segment(max(part.start, window_start), min(part.end, window_end),
                                       ComponentState.maintenance))
            if part.end > window_end:
                next_result.append(Segment(window_end, part.end, part.state))
        result = next_result
    return result


def by_day(parts: Sequence[Segment], days: Sequence[date],
           incidents: dict[date, tuple[str, ...]] | None = None) -> list[DayCell]:
    """Seconds in each state per day (days are consecutive UTC days), in plain arithmetic on timestamps."""
    first = day_start(days[0]).timestamp()
    seconds: list[dict[ComponentState, float]] = [{} for _ in days]
    for part in parts:
        start, end = part.start.timestamp(), part.end.timestamp()
        lo_day = max(0, int((start - first) // DAY_SECONDS))
        hi_day = min(len(days) - 1, int((end - first) // DAY_SECONDS))
        for index in range(lo_day, hi_day + 1):
            day_from = first + index * DAY_SECONDS
            overlap = min(end, day_from + DAY_SECONDS) - max(start, day_from)
            if overlap > 0:
                bucket = seconds[index]
                bucket[part.state] = bucket.get(part.state, 0.0) + overlap
    titles = incidents or {}
    cells = []
    for day, bucket in zip(days, seconds, strict=True):
        observed = down = 0.0
        worst_state: ComponentState | None = None
        for state, value in bucket.items():
            observed += value
            if state is ComponentState.major_outage:
                down += value
            elif state is ComponentState.partial_outage:
                down += PARTIAL_WEIGHT * value
            if value > 0 and (worst_state is None or STATE_RANKS[state] > STATE_RANKS[worst_state]):
                worst_state = state
        cells.append(DayCell(day, observed, down, worst_state, bucket, titles.get(day, ())))
    return cells


# Loading ------------------------------------------------------------------------------------------------


def window_days(now: datetime, count: int = WINDOW_DAYS) -> list[date]:
    today = now.astimezone(UTC).date()
    return [today - timedelta(days=count - 1 - i) for i in range(count)]


Changes = dict[int, list[tuple[datetime, ComponentState]]]


def _changes(db: Session, component_ids: list[int], start: datetime) -> Changes:
    """Each component's changes since ``start``, led by the last one before it (its state at ``start``)."""
    found: Changes = {i: [] for i in component_ids}
    if not component_ids:
        return found
    last = (sa.select(ComponentChange.component_id, sa.func.max(ComponentChange.at).label("at"))
            .where(ComponentChange.component_id.in_(component_ids), ComponentChange.at <= start)
            .group_by(ComponentChange.component_id).subquery())
    query = (sa.select(ComponentChange.component_id, ComponentChange.at, ComponentChange.state)
             .outerjoin(last, sa.and_(last.c.component_id == ComponentChange.component_id,
                                      last.c.at == ComponentChange.at))
             .where(ComponentChange.component_id.in_(component_ids),
                    sa.or_(ComponentChange.at > start, last.c.at.is_not(None)))
             .order_by(ComponentChange.at, ComponentChange.id))
    for component_id, at, state in db.execute(query):
        found[component_id].append((at, state))
    return found


def _incidents(db: Session, page_id: int, start: datetime) -> list[PublicIncident]:
    query = (sa.select(PublicIncident).where(
        PublicIncident.page_id == page_id,
        sa.or_(PublicIncident.resolved_at.is_(None), PublicIncident.resolved_at >= start,
               PublicIncident.started_at >= start))
        .order_by(PublicIncident.started_at.desc(), PublicIncident.id.desc()))
    return list(db.scalars(query))


def _incident_views(db: Session, incidents: list[PublicIncident],
                    names: dict[int, str]) -> list[IncidentView]:
    ids = [i.id for i in incidents]
    links: dict[int, list[tuple[str, ComponentState]]] = {i: [] for i in ids}
    updates: dict[int, list[UpdateView]] = {i: [] for i in ids}
    if ids:
        for public_id, component_id, state in db.execute(
                sa.select(PublicIncidentComponent.public_incident_id, PublicIncidentComponent.component_id,
                          PublicIncidentComponent.state)
                .where(PublicIncidentComponent.public_incident_id.in_(ids))):
            if component_id in names:
                links[public_id].append((names[component_id], state))
        for public_id, update_id, status, body, published_at, affected in db.execute(
                sa.select(UpdatePosting.public_incident_id, PublicUpdate.id, PublicUpdate.status, PublicUpdate.body,
                          PublicUpdate.published_at, UpdatePosting.affected)
                .join(PublicUpdate, PublicUpdate.id == UpdatePosting.update_id)
                .where(UpdatePosting.public_incident_id.in_(ids), PublicUpdate.state == UpdateState.published)
                .order_by(PublicUpdate.published_at.desc(), PublicUpdate.id.desc())):
            updates[public_id].append(UpdateView(update_id, status, body, published_at, [
                (str(a.get("name", "")), _state(a.get("state"))) for a in (affected or [])]))
    return [IncidentView(i.id, i.title, i.status, i.started_at, i.resolved_at, i.updated_at, links[i.id],
                         updates[i.id]) for i in incidents]


def _state(value: Any) -> ComponentState:
    try:
        return ComponentState(str(value))
    except ValueError:
        return ComponentState.operational


def _incident_days(view: IncidentView, now: datetime) -> list[date]:
    end = view.resolved_at or now
    days, day = [], view.started_at.date()
    while day <= end.date():
        days.append(day)
        day += timedelta(days=1)
    return days


def load_page_view(*, db: Session, slug: str, now: datetime, past_days: int = RECENT_DAYS) -> PageView:
    page = service.get_page(db=db, slug=slug)
    return build_view(db=db, page=page, now=now, past_days=past_days)


def build_view(*, db: Session, page: StatusPage, now: datetime, past_days: int = RECENT_DAYS) -> PageView:
    days = window_days(now)
    start = day_start(days[0])
    groups = service.list_groups(db=db, page_id=page.id)
    components = service.list_components(db=db, page_id=page.id)
    names = {c.id: c.name for c in components}
    history = _changes(db, [c.id for c in components], start)
    windows = service.list_maintenances(db=db, page_id=page.id, since=start, include_cancelled=False)
    incidents = _incident_views(db, _incidents(db, page.id, start), names)
    titles = _titles_by_component_day(incidents, names, now)
    views = []
    for component in components:
        own = [(w.maintenance.starts_at, w.maintenance.ends_at) for w in windows if component.id in w.component_ids]
        parts = overlay_maintenance(segments(history[component.id], start, now), own)
        cells = by_day(parts, days, titles.get(component.id))
        ongoing = any(s <= now < e for s, e in own)
        state = ComponentState.maintenance if ongoing and component.state is ComponentState.operational \
            else component.state
        views.append(ComponentView(component.id, component.name, component.description, component.group_id, state,
                                   cells))
    maintenance = [MaintenanceItem(w.maintenance.id, w.maintenance.title, w.maintenance.body, w.maintenance.starts_at,
                                   w.maintenance.ends_at, [names[i] for i in w.component_ids if i in names],
                                   w.maintenance.starts_at <= now)
                   for w in windows if w.maintenance.ends_at > now]
    shown_days = days[-past_days:]
    past = [(day, [i for i in incidents if not i.is_active and i.started_at.date() == day])
            for day in reversed(shown_days)]
    recent = sorted(((i, u) for i in incidents for u in i.updates), key=lambda pair: pair[1].published_at,
                    reverse=True)[:FEED_ITEMS]
    return PageView(page.slug, page.name, page.description, page.version, page.updated_at, now,
                    _grouped(groups, views), [i for i in incidents if i.is_active], maintenance, past, recent,
                    _valid_until(now, windows))


def _titles_by_component_day(incidents: list[IncidentView], names: dict[int, str],
                             now: datetime) -> dict[int, dict[date, tuple[str, ...]]]:
    """Component id → day → the titles of the incidents that named it and were open that day."""
    ids_by_name = {name: cid for cid, name in names.items()}
    found: dict[int, dict[date, list[str]]] = {}
    for incident in incidents:
        for name, _ in incident.components:
            component_id = ids_by_name.get(name)
            if component_id is None:
                continue
            for day in _incident_days(incident, now):
                found.setdefault(component_id, {}).setdefault(day, []).append(incident.title)
    return {cid: {day: tuple(dict.fromkeys(value)) for day, value in days.items()} for cid, days in found.items()}


def _grouped(groups: list[ComponentGroup], views: list[ComponentView]) -> list[GroupView]:
    result = [GroupView(g.id, g.name, [v for v in views if v.group_id == g.id]) for g in groups]
    result = [g for g in result if g.components]
    known = {g.id for g in groups}
    loose = [v for v in views if v.group_id not in known]
    if loose:
        result.append(GroupView(None, "", loose))
    return result


def _valid_until(now: datetime, windows: Sequence[service.MaintenanceView]) -> datetime:
    """Time alone changes the page at midnight (a new day) and when a maintenance window starts or ends."""
    moments = [day_start(now.astimezone(UTC).date() + timedelta(days=1)), now + MAX_FRESH]
    for window in windows:
        moments += [m for m in (window.maintenance.starts_at, window.maintenance.ends_at) if m > now]
    return min(moments)


# JSON ----------------------------------------------------------------------------------------------------


def page_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/status/{slug}"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _incident_json(incident: IncidentView, url: str) -> dict[str, Any]:
    return {
        "id": incident.id, "title": incident.title, "status": incident.status.value,
        "started_at": _iso(incident.started_at), "resolved_at": _iso(incident.resolved_at),
        "updated_at": _iso(incident.updated_at), "url": f"{url}#incident-{incident.id}",
        "components": [{"name": name, "state": state.value} for name, state in incident.components],
        "updates": [{"id": u.id, "status": u.status.value, "body": u.body, "published_at": _iso(u.published_at),
                     "components": [{"name": n, "state": s.value} for n, s in u.affected]} for u in incident.updates],
    }


def as_json(view: PageView, base_url: str) -> dict[str, Any]:
    url = page_url(base_url, view.slug)
    return {
        "page": {"slug": view.slug, "name": view.name, "description": view.description, "url": url,
                 "updated_at": _iso(view.updated_at)},
        "status": {"indicator": view.indicator, "description": view.headline},
        "components": [
            {"id": c.id, "name": c.name, "description": c.description, "group": g.name or None,
             "state": c.state.value, "uptime_90_days": None if c.uptime is None else round(c.uptime * 100, 3),
             "days": [{"date": d.day.isoformat(), "state": d.worst.value if d.worst else None,
                       "uptime": None if d.uptime is None else round(d.uptime * 100, 3)} for d in c.days]}
            for g in view.groups for c in g.components],
        "incidents": [_incident_json(i, url) for i in view.active],
        "scheduled_maintenances": [
            {"id": m.id, "title": m.title, "body": m.body, "starts_at": _iso(m.starts_at), "ends_at": _iso(m.ends_at),
             "components": m.components, "in_progress": m.ongoing} for m in view.maintenance],
        "past_incidents": [_incident_json(i, url) for _, found in view.past for i in found],
        "generated_at": _iso(view.generated_at),
    }
