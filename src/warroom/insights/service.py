"""Insights: how incidents went over the last weeks, as figures and charts.

Weeks start on Monday 00:00 UTC; the window is the last ``weeks`` weeks, this one included. Incidents count in
the week they were declared. Definitions (also on the page and in docs/insights.md):

- MTTA: acknowledged_at - declared_at (the incident lead acknowledging), in hours, mean and median per week.
- MTTR: resolved_at - declared_at, in hours, mean and median per week, over incidents resolved so far.
- False-positive rate: incidents resolved as a false positive ÷ incidents resolved, per week.
- Time in each status: the hours incidents declared in the window spent in each status (a status still on
  counts up to now), averaged over the incidents that were in that status.
- Follow-ups: created and done per week; open and overdue now; completion = done ÷ created in the window.
- Most-affected services: the ten services named most often in incidents' affected services.

Private security incidents count in every figure (their existence is not secret), but their affected services
count only for their participants, and no chart lists incidents.

Past weeks are read from a weekly roll-up while it is current (``rollup``, ADR 0026); the current week, weeks
changed since they were kept, and every team-filtered window are computed from the incidents. ``compute`` takes
a session and changes nothing; ``keep`` then stores the past weeks it had to compute, in write transactions of
their own.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import Membership, Team
from warroom.core.actor import Actor
from warroom.core.bounds import is_count
from warroom.core.errors import NotFound, ValidationFailed
from warroom.followups.models import FollowUp, FollowUpStatus
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Resolution, Severity, Status
from warroom.insights import rollup, svg
from warroom.insights.models import StatusPeriod
from warroom.insights.sqltime import SqlTime
from warroom.roles.models import RoleAssignment

DEFAULT_WEEKS = 12
MAX_WEEKS = 104
TOP_SERVICES = 10
KEEP_PER_TRANSACTION = 8
WEEK = timedelta(days=7)
HOUR = 3600.0
TIMED = (Status.investigating, Status.identified, Status.monitoring, Status.resolved)

DEFINITIONS = {
    "week": "Weeks start on Monday 00:00 UTC; an incident counts in the week it was declared.",
    "incidents": "Incidents declared each week, by severity.",
    "mtta": "MTTA (mean time to acknowledge): acknowledged_at - declared_at, when the incident lead "
            "acknowledged, in hours.",
    "mttr": "MTTR (mean time to resolve): resolved_at - declared_at, in hours, over incidents resolved so far.",
    "false_positives": "False-positive rate: incidents resolved as a false positive ÷ incidents resolved.",
    "status_time": "Time in each status: hours spent in each status by incidents declared in the window (a status "
                   "still on counts up to now), averaged over the incidents that were in it.",
    "followups": "Follow-ups: created and marked done per week; overdue = open with a due date before today "
                 "(with a team: owned by its members, as on the overdue page); completion = done ÷ created in "
                 "the window.",
    "services": "Most-affected services: how many incidents named each service (top 10).",
    "team": "With a team: incidents reported by, or with a role held by, one of the team's members.",
    "private": "Private security incidents count in the figures; their affected services count only for their "
               "participants, and no chart lists incidents.",
}


# Input ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    weeks: int = DEFAULT_WEEKS
    team: Team | None = None
    severity: Severity | None = None

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links to the CSV files)."""
        params = {"weeks": str(self.weeks)}
        if self.team is not None:
            params["team"] = self.team.slug
        if self.severity is not None:
            params["severity"] = self.severity.value
        return params


def parse_weeks(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return DEFAULT_WEEKS
    if not is_count(text) or not 1 <= int(text) <= MAX_WEEKS:
        raise ValidationFailed(f"weeks must be a whole number from 1 to {MAX_WEEKS} (got '{text[:20]}').",
                               field="weeks")
    return int(text)


def parse_filters(*, db: Session, weeks: str | None = None, team: str | None = None,
                  severity: str | None = None) -> Filters:
    count = parse_weeks(weeks)
    found = None
    if (team or "").strip():
        found = accounts.find_team(db=db, name=str(team))
        if found is None:
            raise NotFound(f"No team '{str(team).strip()[:60]}'. Use a team's slug, or leave it out for everyone.",
                           field="team")
    level = incidents.parse_severity(severity) if severity and severity.strip() else None
    return Filters(count, found, level)


# Results -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # "bar", "stacked" or "line"
    x_label: str
    y_label: str
    categories: list[str]
    series: list[svg.Series]
    unit: str = ""
    slanted: bool = False

    def svg(self) -> str:
        common: dict[str, Any] = {"key": self.key, "title": self.title, "categories": self.categories,
                                  "x_label": self.x_label, "y_label": self.y_label, "unit": self.unit}
        if self.kind == "stacked":
            return svg.stacked_bar_chart(series=self.series, **common)
        if self.kind == "line":
            return svg.line_chart(series=self.series, **common)
        return svg.bar_chart(series=self.series[0], slanted=self.slanted, **common)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "x_label": self.x_label,
                "y_label": self.y_label, "unit": self.unit, "categories": self.categories,
                "series": [{"name": s.name, "values": list(s.values)} for s in self.series]}

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([self.x_label, *(s.name for s in self.series)])
        for index, category in enumerate(self.categories):
            writer.writerow([category, *("" if s.values[index] is None else svg.number(s.values[index])
                                         for s in self.series)])
        return out.getvalue()


@dataclass(frozen=True)
class Insights:
    filters: Filters
    start: datetime
    end: datetime
    summary: dict[str, float | int | None]
    charts: dict[str, Chart] = field(default_factory=dict)
    stale_weeks: list[int] = field(default_factory=list)  # past weeks computed from the incidents: to keep

    def as_dict(self) -> dict[str, Any]:
        return {"window": {"start": self.start.isoformat(), "end": self.end.isoformat(),
                           "weeks": self.filters.weeks},
                "filters": {"team": self.filters.team.slug if self.filters.team else None,
                            "severity": self.filters.severity.value if self.filters.severity else None},
                "definitions": DEFINITIONS, "summary": self.summary,
                "charts": {key: chart.as_dict() for key, chart in self.charts.items()}}


CHART_KEYS = ("incidents", "mtta", "mttr", "false_positives", "status_time", "followups", "services")


def chart_key(value: str) -> str:
    if value not in CHART_KEYS:
        raise NotFound(f"No chart '{value[:40]}'. Charts: {', '.join(CHART_KEYS)}.", field="chart")
    return value


# Computing -----------------------------------------------------------------------------------------------


def week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime.combine(monday, time(0), tzinfo=UTC)


def _incident_filter(filters: Filters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.severity is not None:
        conditions.append(Incident.severity == filters.severity)
    if filters.team is not None:
        members = sa.select(Membership.user_id).where(Membership.team_id == filters.team.id)
        held = sa.select(RoleAssignment.incident_id).where(RoleAssignment.user_id.in_(members))
        conditions.append(sa.or_(Incident.reporter_id.in_(members), Incident.id.in_(held)))
    return conditions


@dataclass
class _Week:
    by_severity: Counter[Severity] = field(default_factory=Counter)
    ack_seconds: float = 0.0
    acknowledged: int = 0
    ack_median: float | None = None
    resolve_seconds: float = 0.0
    resolved: int = 0
    resolve_median: float | None = None
    false_positive: int = 0
    created: int = 0
    done: int = 0

    @property
    def mtta(self) -> tuple[float | None, float | None]:
        return _hours(self.ack_seconds, self.acknowledged), _hours(self.ack_median, 1)

    @property
    def mttr(self) -> tuple[float | None, float | None]:
        return _hours(self.resolve_seconds, self.resolved), _hours(self.resolve_median, 1)


def _hours(seconds: float | None, count: int) -> float | None:
    if seconds is None or not count:
        return None
    return round(seconds / count / HOUR, 2)


def compute(*, db: Session, actor: Actor, now: datetime, filters: Filters) -> Insights:
    """The figures of the window: past weeks from the weekly roll-up where it is current (``rollup``), the rest
    from the incidents; with a team, everything from the incidents (``compute_directly``)."""
    if filters.team is not None:
        return compute_directly(db=db, actor=actor, now=now, filters=filters)
    start = week_start(now) - WEEK * (filters.weeks - 1)
    first, current = rollup.week_number(start), rollup.week_number(now)
    found = rollup.kept(db, first, current - 1)
    live = [week for week in range(first, current + 1) if week not in found]
    found.update(rollup.figures_of(db, rollup.spans_of(live, now)))
    weeks = [_week_of(found.get(number), filters.severity) for number in range(first, current + 1)]
    status_hours = _status_hours(found.values(), filters.severity, now)
    services = _services_kept(db, actor, filters, sorted(set(found) - set(live)), rollup.spans_of(live, now),
                              start, now)
    followups = _followups_kept(db, filters, [found.get(n) for n in range(first, current + 1)], now, weeks)
    return _assemble(filters, start, now, weeks, status_hours, services, followups,
                     stale=[w for w in live if w < current])


def compute_directly(*, db: Session, actor: Actor, now: datetime, filters: Filters) -> Insights:
    """The figures of the window, every one from the incidents."""
    start = week_start(now) - WEEK * (filters.weeks - 1)
    weeks = [_Week() for _ in range(filters.weeks)]
    window = [Incident.declared_at >= start, Incident.declared_at <= now, *_incident_filter(filters)]
    _incidents_by_week(db, window, start, weeks)
    services = _services(db, actor, window)
    status_hours = _status_time(db, window, start, now)
    followups = _followups(db, filters, start, now, weeks)
    return _assemble(filters, start, now, weeks, status_hours, services, followups, stale=[])


def _assemble(filters: Filters, start: datetime, now: datetime, weeks: list[_Week],
              status_hours: dict[Status, float | None], services: Counter[str],
              followups: dict[str, float | int | None], stale: list[int]) -> Insights:
    labels = [(start + WEEK * i).date().isoformat() for i in range(filters.weeks)]
    charts = _charts(labels, weeks, status_hours, services)
    resolved = sum(w.resolved for w in weeks)
    summary: dict[str, float | int | None] = {
        "incidents": sum(sum(w.by_severity.values()) for w in weeks),
        "mtta_hours_mean": _hours(sum(w.ack_seconds for w in weeks), sum(w.acknowledged for w in weeks)),
        "mttr_hours_mean": _hours(sum(w.resolve_seconds for w in weeks), resolved),
        "false_positive_rate": round(sum(w.false_positive for w in weeks) / resolved, 4) if resolved else None,
        **followups,
    }
    return Insights(filters, start, now, summary, charts, stale_weeks=stale)


def keep(*, writing: Callable[[], AbstractContextManager[Session]], result: Insights) -> int:
    """Store the past weeks ``result`` had to compute from the incidents, a few weeks per write transaction (so
    SQLite's one writer is never held long); returns how many were stored."""
    stored = 0
    for index in range(0, len(result.stale_weeks), KEEP_PER_TRANSACTION):
        with writing() as db:
            if index == 0:
                rollup.forget_before(db, rollup.week_number(result.end) - MAX_WEEKS)
            stored += rollup.refresh(db, result.stale_weeks[index:index + KEEP_PER_TRANSACTION], result.end)
    return stored


def _week_of(figures: rollup.WeekFigures | None, severity: Severity | None) -> _Week:
    week = _Week()
    if figures is None:
        return week
    for level, found in figures.severities.items():
        if severity is not None and level is not severity:
            continue
        week.by_severity[level] += found.incidents
        week.ack_seconds += found.ack_seconds
        week.acknowledged += found.acknowledged
        week.resolve_seconds += found.resolve_seconds
        week.resolved += found.resolved
        week.false_positive += found.false_positives
    if severity is None:
        week.ack_median, week.resolve_median = figures.ack_median, figures.resolve_median
    elif severity in figures.severities:
        week.ack_median = figures.severities[severity].ack_median
        week.resolve_median = figures.severities[severity].resolve_median
    return week


def _status_hours(weeks: Iterable[rollup.WeekFigures], severity: Severity | None,
                  now: datetime) -> dict[Status, float | None]:
    incidents: Counter[Status] = Counter()
    seconds: dict[Status, float] = {}
    for figures in weeks:
        for (level, status), found in figures.statuses.items():
            if severity is None or level is severity:
                incidents[status] += found.incidents
                seconds[status] = seconds.get(status, 0.0) + found.seconds_until(now)
    return {s: round(max(0.0, seconds[s]) / incidents[s] / HOUR, 2) if incidents[s] else None for s in TIMED}


def _followups_kept(db: Session, filters: Filters, found: list[rollup.WeekFigures | None], now: datetime,
                    weeks: list[_Week]) -> dict[str, float | int | None]:
    made = finished = 0
    for week, figures in zip(weeks, found, strict=True):
        for level, counted in (figures.followups.items() if figures is not None else ()):
            if filters.severity is None or level is filters.severity:
                week.created += counted.created
                week.done += counted.done
                made += counted.created
                finished += counted.created_done
    return {"followups_created": made, "followups_done": finished,
            "followup_completion": round(finished / made, 4) if made else None,
            "followups_overdue_now": _overdue_now(db, filters, now)}


def _services_kept(db: Session, actor: Actor, filters: Filters, kept: list[int], live: list[rollup.Span],
                   start: datetime, now: datetime) -> Counter[str]:
    """The top services: kept weeks' counts plus, read live, the other weeks' and every visible private
    incident's; added up and ranked by the database, as ``_services`` ranks them."""
    named = rollup.service_names(db)
    severity = [Incident.severity == filters.severity] if filters.severity is not None else []
    read_live = sa.or_(sa.and_(sa.not_(Incident.security), sa.or_(sa.false(), *(s.condition() for s in live))),
                       sa.and_(Incident.security, visibility.visible_to(actor)))
    counted = (sa.select(named.c.value.label("value"), sa.func.count(sa.distinct(Incident.id)).label("incidents"))
               .select_from(Incident).join(named, sa.true())
               .where(Incident.declared_at >= start, Incident.declared_at <= now, *severity, read_live)
               .group_by(named.c.value))
    parts = sa.union_all(counted, rollup.kept_services(kept, filters.severity)).subquery()
    total = sa.func.sum(parts.c.incidents)
    query = sa.select(parts.c.value, total).group_by(parts.c.value).order_by(total.desc(), parts.c.value)
    return Counter({str(name): int(count) for name, count in db.execute(query.limit(TOP_SERVICES))})


def _incidents_by_week(db: Session, window: list[sa.ColumnElement[bool]], start: datetime,
                       weeks: list[_Week]) -> None:
    """Counts and sums per week and severity, then the weekly medians: all added up by the database."""
    t = SqlTime(db)
    week = t.week_index(Incident.declared_at, start)
    ack = t.seconds_between(Incident.acknowledged_at, Incident.declared_at)
    resolve = t.seconds_between(Incident.resolved_at, Incident.declared_at)
    false_positive = sa.case((Incident.resolution == Resolution.false_positive, 1), else_=0)
    query = (sa.select(week, Incident.severity, sa.func.count(), sa.func.sum(ack),
                       sa.func.count(Incident.acknowledged_at), sa.func.sum(resolve),
                       sa.func.count(Incident.resolution), sa.func.sum(false_positive))
             .where(*window).group_by(week, Incident.severity))
    last = len(weeks) - 1
    for index, severity, count, ack_sum, acked, resolve_sum, resolved, fps in db.execute(query):
        bucket = weeks[min(last, int(index))]
        bucket.by_severity[severity] += int(count)
        bucket.ack_seconds += float(ack_sum or 0)
        bucket.acknowledged += int(acked)
        bucket.resolve_seconds += float(resolve_sum or 0)
        bucket.resolved += int(resolved)
        bucket.false_positive += int(fps or 0)
    _medians(db, week, ack, sa.case((Incident.resolution.is_not(None), resolve)), window, weeks)


def _medians(db: Session, week: sa.ColumnElement[int], ack: sa.ColumnElement[float],
             resolve: sa.ColumnElement[float], window: list[sa.ColumnElement[bool]], weeks: list[_Week]) -> None:
    """Each week's median time to acknowledge and to resolve, from one narrow read of plain numbers."""
    acks: dict[int, list[float]] = {}
    resolves: dict[int, list[float]] = {}
    query = sa.select(week, ack, resolve).where(*window, sa.or_(Incident.acknowledged_at.is_not(None),
                                                                 Incident.resolution.is_not(None)))
    for index, ack_seconds, resolve_seconds in db.connection().execute(query):
        if ack_seconds is not None:
            acks.setdefault(index, []).append(ack_seconds)
        if resolve_seconds is not None:
            resolves.setdefault(index, []).append(resolve_seconds)
    last = len(weeks) - 1
    for index, values in acks.items():
        weeks[min(last, int(index))].ack_median = statistics.median(values)
    for index, values in resolves.items():
        weeks[min(last, int(index))].resolve_median = statistics.median(values)


def _services(db: Session, actor: Actor, window: list[sa.ColumnElement[bool]]) -> Counter[str]:
    """How many incidents named each service: the top ten (a private incident's only for those who may see it)."""
    t = SqlTime(db)
    elements = sa.func.json_each if t.sqlite else sa.func.json_array_elements_text
    named = elements(Incident.affected_services).table_valued("value")
    incidents_named = sa.func.count(sa.distinct(Incident.id))
    query = (sa.select(named.c.value, incidents_named).select_from(Incident).join(named, sa.true())
             .where(*window, sa.or_(sa.not_(Incident.security), visibility.visible_to(actor)))
             .group_by(named.c.value).order_by(incidents_named.desc(), named.c.value).limit(TOP_SERVICES))
    return Counter({str(name): int(count) for name, count in db.execute(query)})


def _status_time(db: Session, window: list[sa.ColumnElement[bool]], start: datetime,
                 now: datetime) -> dict[Status, float | None]:
    """Hours per status; periods start no earlier than their incident's declaration, which narrows the read."""
    t = SqlTime(db)
    spent = sa.func.coalesce(StatusPeriod.seconds, t.seconds_until(now, StatusPeriod.started_at))
    query = (sa.select(StatusPeriod.status, sa.func.count(sa.distinct(StatusPeriod.incident_id)), sa.func.sum(spent))
             .join(Incident, Incident.id == StatusPeriod.incident_id)
             .where(*window, StatusPeriod.started_at >= start).group_by(StatusPeriod.status))
    found = {status: (int(count), float(seconds or 0)) for status, count, seconds in db.execute(query)}
    return {s: round(max(0.0, found[s][1]) / found[s][0] / HOUR, 2) if found.get(s, (0, 0))[0] else None
            for s in TIMED}


def _followups(db: Session, filters: Filters, start: datetime, now: datetime,
               weeks: list[_Week]) -> dict[str, float | int | None]:
    conditions = _incident_filter(filters)
    t = SqlTime(db)

    def of_incidents(query: Any) -> Any:
        if not conditions:
            return query
        return query.join(Incident, Incident.id == FollowUp.incident_id).where(*conditions)

    last = len(weeks) - 1
    created_week = t.week_index(FollowUp.created_at, start)
    created = of_incidents(sa.select(created_week, FollowUp.status, sa.func.count(FollowUp.id))
                           .where(FollowUp.created_at >= start, FollowUp.created_at <= now)
                           .group_by(created_week, FollowUp.status))
    made = finished = 0
    for index, status, count in db.execute(created):
        weeks[min(last, int(index))].created += count
        made += count
        finished += count if status is FollowUpStatus.done else 0
    done_week = t.week_index(FollowUp.done_at, start)
    done = of_incidents(sa.select(done_week, sa.func.count(FollowUp.id))
                        .where(FollowUp.done_at >= start, FollowUp.done_at <= now).group_by(done_week))
    for index, count in db.execute(done):
        weeks[min(last, int(index))].done += count
    return {"followups_created": made, "followups_done": finished,
            "followup_completion": round(finished / made, 4) if made else None,
            "followups_overdue_now": _overdue_now(db, filters, now)}


def _overdue_now(db: Session, filters: Filters, now: datetime) -> int:
    today: date = now.astimezone(UTC).date()
    overdue = sa.select(sa.func.count(FollowUp.id)).where(FollowUp.status == FollowUpStatus.open,
                                                          FollowUp.due_on < today)
    if filters.severity is not None:
        overdue = overdue.join(Incident, Incident.id == FollowUp.incident_id).where(
            Incident.severity == filters.severity)
    if filters.team is not None:  # as on the overdue page: those owned by the team's members
        members = sa.select(Membership.user_id).where(Membership.team_id == filters.team.id)
        overdue = overdue.where(FollowUp.owner_id.in_(members))
    return int(db.scalar(overdue) or 0)


def _charts(labels: list[str], weeks: list[_Week], status_hours: dict[Status, float | None],
            services: Counter[str]) -> dict[str, Chart]:
    mtta = [w.mtta for w in weeks]
    mttr = [w.mttr for w in weeks]
    top = sorted(services.items(), key=lambda item: (-item[1], item[0]))[:TOP_SERVICES]
    week = "Week starting (UTC)"
    charts = [
        Chart("incidents", "Incidents per week by severity", "stacked", week, "Incidents", labels,
              [svg.Series(level.value, [w.by_severity[level] for w in weeks], colour)
               for level, colour in ((Severity.critical, "#b42318"), (Severity.major, "#dc6803"))],
              "incidents"),
        Chart("mtta", "Time to acknowledge (MTTA) per week", "line", week, "Hours", labels,
              [svg.Series("mean", [m for m, _ in mtta]), svg.Series("median", [m for _, m in mtta])], "hours"),
        Chart("mttr", "Time to resolve (MTTR) per week", "line", week, "Hours", labels,
              [svg.Series("mean", [m for m, _ in mttr]), svg.Series("median", [m for _, m in mttr])], "hours"),
        Chart("false_positives", "False-positive rate per week", "bar", week, "% of resolved", labels,
              [svg.Series("false-positive %", [round(100 * w.false_positive / w.resolved, 2) if w.resolved
                                               else None for w in weeks])], "%"),
        Chart("status_time", "Average time in each status", "bar", "Status", "Hours",
              [s.value for s in TIMED], [svg.Series("average hours", [status_hours[s] for s in TIMED])], "hours"),
        Chart("followups", "Follow-ups created and done per week", "line", week, "Follow-ups", labels,
              [svg.Series("created", [w.created for w in weeks]), svg.Series("done", [w.done for w in weeks])]),
        Chart("services", "Most-affected services", "bar", "Service", "Incidents", [name for name, _ in top],
              [svg.Series("incidents", [count for _, count in top])], "incidents", slanted=True),
    ]
    return {chart.key: chart for chart in charts}
