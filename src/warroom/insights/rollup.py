"""The weekly roll-up: each past week's incident figures, kept so wide windows read a row per week (ADR 0026).

Weeks are numbered from Monday 1969-12-29 (week 0), UTC; an incident belongs to the week it was declared. The
figures of a run of weeks are computed from the incidents by ``figures_of`` (the same reads ``service.compute``
made for the whole window); ``refresh`` stores them for weeks that are over; ``kept`` reads back the weeks whose
stored figures are current: those with a row and no change row. Triggers (migration 0022) write a change row in
the transaction of every change to an incident's figures or status periods, whoever makes it (flows, importers,
bulk statements, deletes), so a committed change is never hidden behind a stored figure.

Everything that depends on the moment of reading is kept in a form that reads it in: an open status period is
kept as a count and a sum of start times. Private security incidents count in every figure, as they do
everywhere in insights; their affected services are never stored (they count only for those who may see them,
so they are always read live).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.followups.models import FollowUp, FollowUpStatus
from warroom.incidents.models import Incident, Resolution, Severity, Status
from warroom.insights.models import (
    InsightWeek,
    InsightWeekChange,
    InsightWeekFollowUps,
    InsightWeekService,
    InsightWeekSeverity,
    InsightWeekStatus,
    StatusPeriod,
)
from warroom.insights.sqltime import SqlTime

WEEK_ZERO = date(1969, 12, 29)  # a Monday
WEEK = timedelta(days=7)
REFRESH_LOCK = 0x1A5167  # PostgreSQL advisory lock: one refresh at a time (ADR 0026)
KEPT = (InsightWeek, InsightWeekSeverity, InsightWeekStatus, InsightWeekService, InsightWeekFollowUps)


def week_number(moment: datetime) -> int:
    return (moment.astimezone(UTC).date() - WEEK_ZERO).days // 7


def week_starts(week: int) -> datetime:
    return datetime.combine(WEEK_ZERO + WEEK * week, time(0), tzinfo=UTC)


@dataclass
class SeverityFigures:
    incidents: int = 0
    ack_seconds: float = 0.0
    acknowledged: int = 0
    ack_median: float | None = None
    resolve_seconds: float = 0.0
    resolved: int = 0
    resolve_median: float | None = None
    false_positives: int = 0


@dataclass
class StatusFigures:
    incidents: int = 0
    ended_seconds: int = 0
    open_periods: int = 0
    open_since: float = 0.0

    def seconds_until(self, now: datetime) -> float:
        return self.ended_seconds + self.open_periods * now.timestamp() - self.open_since


@dataclass
class FollowUpFigures:
    """Follow-ups created in the week (and of those, how many are done now), and follow-ups done in the week."""

    created: int = 0
    created_done: int = 0
    done: int = 0


@dataclass
class WeekFigures:
    severities: dict[Severity, SeverityFigures] = field(default_factory=dict)
    ack_median: float | None = None
    resolve_median: float | None = None
    statuses: dict[tuple[Severity, Status], StatusFigures] = field(default_factory=dict)
    services: dict[tuple[Severity, str], int] = field(default_factory=dict)
    followups: dict[Severity, FollowUpFigures] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """Weeks ``first`` to ``last`` (numbers, both included), read up to ``until`` when the last is this week."""

    first: int
    last: int
    until: datetime | None = None

    def condition(self, moment: Any = Incident.declared_at) -> sa.ColumnElement[bool]:
        start = moment >= week_starts(self.first)
        if self.until is not None:
            return sa.and_(start, moment <= self.until)
        return sa.and_(start, moment < week_starts(self.last + 1))


def spans_of(weeks: Iterable[int], now: datetime) -> list[Span]:
    """Runs of consecutive week numbers; the run holding ``now``'s week stops at ``now``."""
    current = week_number(now)
    spans: list[Span] = []
    for week in sorted(set(weeks)):
        if spans and spans[-1].last == week - 1:
            spans[-1] = Span(spans[-1].first, week)
        else:
            spans.append(Span(week, week))
    return [Span(s.first, s.last, now if s.last == current else None) for s in spans]


# Computing from the incidents -----------------------------------------------------------------------------


def figures_of(db: Session, spans: Sequence[Span], *, services: bool = False) -> dict[int, WeekFigures]:
    """Each week's figures in ``spans``, by severity (and the services named, without private incidents)."""
    found: dict[int, WeekFigures] = {}
    for span in spans:
        week = SqlTime(db).week_index(Incident.declared_at, week_starts(span.first)) + span.first
        condition = span.condition()
        _aggregates(db, week, condition, found)
        _medians(db, week, condition, found)
        _statuses(db, week, condition, week_starts(span.first), found)
        if services:
            _services(db, week, condition, found)
        _followups(db, span, found)
    return found


def _week(found: dict[int, WeekFigures], number: int) -> WeekFigures:
    return found.setdefault(int(number), WeekFigures())


def _times(db: Session) -> tuple[sa.ColumnElement[float], sa.ColumnElement[float]]:
    t = SqlTime(db)
    return (t.seconds_between(Incident.acknowledged_at, Incident.declared_at),
            t.seconds_between(Incident.resolved_at, Incident.declared_at))


def _aggregates(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool],
                found: dict[int, WeekFigures]) -> None:
    ack, resolve = _times(db)
    false_positive = sa.case((Incident.resolution == Resolution.false_positive, 1), else_=0)
    query = (sa.select(week, Incident.severity, sa.func.count(), sa.func.sum(ack),
                       sa.func.count(Incident.acknowledged_at), sa.func.sum(resolve),
                       sa.func.count(Incident.resolution), sa.func.sum(false_positive))
             .where(condition).group_by(week, Incident.severity))
    for number, severity, count, ack_sum, acked, resolve_sum, resolved, fps in db.execute(query):
        _week(found, number).severities[severity] = SeverityFigures(
            incidents=int(count), ack_seconds=float(ack_sum or 0), acknowledged=int(acked),
            resolve_seconds=float(resolve_sum or 0), resolved=int(resolved), false_positives=int(fps or 0))


def _medians(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool],
             found: dict[int, WeekFigures]) -> None:
    """Medians per week and severity, and per week over both severities, from one narrow read."""
    ack, resolve = _times(db)
    acks: dict[tuple[int, Severity | None], list[float]] = {}
    resolves: dict[tuple[int, Severity | None], list[float]] = {}
    query = sa.select(week, Incident.severity, ack, sa.case((Incident.resolution.is_not(None), resolve))).where(
        condition, sa.or_(Incident.acknowledged_at.is_not(None), Incident.resolution.is_not(None)))
    for number, severity, ack_seconds, resolve_seconds in db.connection().execute(query):
        for key in ((int(number), severity), (int(number), None)):
            if ack_seconds is not None:
                acks.setdefault(key, []).append(ack_seconds)
            if resolve_seconds is not None:
                resolves.setdefault(key, []).append(resolve_seconds)
    for (number, severity), values in acks.items():
        figures = _week(found, number)
        if severity is None:
            figures.ack_median = statistics.median(values)
        else:
            figures.severities.setdefault(severity, SeverityFigures()).ack_median = statistics.median(values)
    for (number, severity), values in resolves.items():
        figures = _week(found, number)
        if severity is None:
            figures.resolve_median = statistics.median(values)
        else:
            figures.severities.setdefault(severity, SeverityFigures()).resolve_median = statistics.median(values)


def _epoch(db: Session, moment: Any) -> sa.ColumnElement[float]:
    t = SqlTime(db)
    if t.sqlite:
        return (sa.func.julianday(moment) - sa.literal(t.julian(datetime.fromtimestamp(0, UTC)), sa.Float)) * 86400.0
    return sa.cast(sa.extract("epoch", moment), sa.Float)


def _statuses(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool], start: datetime,
              found: dict[int, WeekFigures]) -> None:
    """Periods start no earlier than their incident's declaration, which narrows the read (as in the service)."""
    if SqlTime(db).sqlite:
        _statuses_joined(db, week, condition, start, found)
    else:
        _statuses_per_incident(db, week, condition, start, found)


def _statuses_joined(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool], start: datetime,
                     found: dict[int, WeekFigures]) -> None:
    still_open = StatusPeriod.seconds.is_(None)
    query = (sa.select(week, Incident.severity, StatusPeriod.status,
                       sa.func.count(sa.distinct(StatusPeriod.incident_id)), sa.func.sum(StatusPeriod.seconds),
                       sa.func.sum(sa.case((still_open, 1), else_=0)),
                       sa.func.sum(sa.case((still_open, _epoch(db, StatusPeriod.started_at)), else_=0.0)))
             .join(Incident, Incident.id == StatusPeriod.incident_id)
             .where(condition, StatusPeriod.started_at >= start)
             .group_by(week, Incident.severity, StatusPeriod.status))
    _add_statuses(db.execute(query), found)


def _statuses_per_incident(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool],
                           start: datetime, found: dict[int, WeekFigures]) -> None:
    """PostgreSQL: each incident's periods added up through its index (a lateral join with its own grouping);
    joined plainly, the planner scans every period since the week began, even for one week."""
    still_open = StatusPeriod.seconds.is_(None)
    periods = (sa.select(StatusPeriod.status.label("status"), sa.func.sum(StatusPeriod.seconds).label("ended"),
                         sa.func.sum(sa.case((still_open, 1), else_=0)).label("open_periods"),
                         sa.func.sum(sa.case((still_open, _epoch(db, StatusPeriod.started_at)), else_=0.0))
                         .label("open_since"))
               .where(StatusPeriod.incident_id == Incident.id, StatusPeriod.started_at >= start)
               .group_by(StatusPeriod.status).lateral("periods"))
    query = (sa.select(week, Incident.severity, periods.c.status, sa.func.count(), sa.func.sum(periods.c.ended),
                       sa.func.sum(periods.c.open_periods), sa.func.sum(periods.c.open_since))
             .select_from(sa.join(Incident, periods, sa.true())).where(condition)
             .group_by(week, Incident.severity, periods.c.status))
    _add_statuses(db.execute(query), found)


def _add_statuses(rows: Iterable[Any], found: dict[int, WeekFigures]) -> None:
    for number, severity, status, incidents, ended, open_periods, open_since in rows:
        _week(found, number).statuses[(Severity(severity), Status(status))] = StatusFigures(
            int(incidents), int(ended or 0), int(open_periods or 0), float(open_since or 0))


def _services(db: Session, week: sa.ColumnElement[int], condition: sa.ColumnElement[bool],
              found: dict[int, WeekFigures]) -> None:
    named = service_names(db)
    query = (sa.select(week, Incident.severity, named.c.value, sa.func.count(sa.distinct(Incident.id)))
             .select_from(Incident).join(named, sa.true())
             .where(condition, sa.not_(Incident.security))
             .group_by(week, Incident.severity, named.c.value))
    for number, severity, name, count in db.execute(query):
        _week(found, number).services[(severity, str(name))] = int(count)


def _followups(db: Session, span: Span, found: dict[int, WeekFigures]) -> None:
    """Follow-ups by the week they were created and the week they were done in (not their incident's week); each
    one's severity is looked up by its incident's key, so a week's read never scans every incident."""
    t = SqlTime(db)
    severity = sa.select(Incident.severity).where(Incident.id == FollowUp.incident_id).scalar_subquery()
    done = sa.case((FollowUp.status == FollowUpStatus.done, 1), else_=0)
    created = (sa.select((t.week_index(FollowUp.created_at, week_starts(span.first)) + span.first).label("week"),
                         severity.label("severity"), done.label("done"))
               .where(span.condition(FollowUp.created_at)).subquery())
    for number, level, count, finished in db.execute(
            sa.select(created.c.week, created.c.severity, sa.func.count(), sa.func.sum(created.c.done))
            .group_by(created.c.week, created.c.severity)):
        figures = _week(found, number).followups.setdefault(Severity(level), FollowUpFigures())
        figures.created, figures.created_done = int(count), int(finished or 0)
    finished_in = (sa.select((t.week_index(FollowUp.done_at, week_starts(span.first)) + span.first).label("week"),
                             severity.label("severity"))
                   .where(span.condition(FollowUp.done_at)).subquery())
    for number, level, count in db.execute(
            sa.select(finished_in.c.week, finished_in.c.severity, sa.func.count())
            .group_by(finished_in.c.week, finished_in.c.severity)):
        _week(found, number).followups.setdefault(Severity(level), FollowUpFigures()).done = int(count)


def service_names(db: Session) -> sa.TableValuedAlias:
    """The incident's affected services as rows with a ``value`` column."""
    elements = sa.func.json_each if SqlTime(db).sqlite else sa.func.json_array_elements_text
    return elements(Incident.affected_services).table_valued("value")


# Reading what is kept -------------------------------------------------------------------------------------


def kept(db: Session, first: int, last: int) -> dict[int, WeekFigures]:
    """The weeks ``first``..``last`` whose stored figures are current (services are read by ``kept_services``)."""
    changed = sa.select(InsightWeekChange.id).where(InsightWeekChange.week == InsightWeek.week).exists()
    found = {int(week): WeekFigures(ack_median=ack, resolve_median=resolve)
             for week, ack, resolve in db.execute(
                 sa.select(InsightWeek.week, InsightWeek.ack_median, InsightWeek.resolve_median)
                 .where(InsightWeek.week.between(first, last), sa.not_(changed)))}
    if not found:
        return found
    severity = InsightWeekSeverity
    for week, level, *figures in db.execute(sa.select(
            severity.week, severity.severity, severity.incidents, severity.ack_seconds, severity.acknowledged,
            severity.ack_median, severity.resolve_seconds, severity.resolved, severity.resolve_median,
            severity.false_positives).where(severity.week.between(first, last))):
        if week in found:
            found[week].severities[level] = SeverityFigures(*figures)
    followups = InsightWeekFollowUps
    for week, level, *counts in db.execute(sa.select(
            followups.week, followups.severity, followups.created, followups.created_done, followups.done)
            .where(followups.week.between(first, last))):
        if week in found:
            found[week].followups[level] = FollowUpFigures(*counts)
    status = InsightWeekStatus
    for week, level, state, incidents, ended, still_open, since in db.execute(sa.select(
            status.week, status.severity, status.status, status.incidents, status.ended_seconds,
            status.open_periods, status.open_since).where(status.week.between(first, last))):
        if week in found:
            found[week].statuses[(level, state)] = StatusFigures(incidents, ended, still_open, since)
    return found


def kept_services(weeks: Sequence[int], severity: Severity | None) -> sa.Select[str, int]:
    """The stored services of ``weeks``: (service, incidents) rows, to add to what is read live."""
    query = sa.select(InsightWeekService.service.label("value"), InsightWeekService.incidents.label("incidents"))
    query = query.where(InsightWeekService.week.in_(list(weeks)))
    if severity is not None:
        query = query.where(InsightWeekService.severity == severity)
    return query


# Keeping --------------------------------------------------------------------------------------------------


def stale_weeks(db: Session, first: int, last: int) -> list[int]:
    """Weeks ``first``..``last`` with no current stored figures."""
    return [week for week in range(first, last + 1) if week not in _current(db, first, last)]


def _current(db: Session, first: int, last: int) -> set[int]:
    changed = sa.select(InsightWeekChange.id).where(InsightWeekChange.week == InsightWeek.week).exists()
    return set(db.scalars(sa.select(InsightWeek.week).where(InsightWeek.week.between(first, last),
                                                            sa.not_(changed))))


def refresh(db: Session, weeks: Sequence[int], now: datetime) -> int:
    """Compute and store ``weeks`` (only those over by ``now`` and still stale); returns how many were stored.

    Call in a write transaction. The change rows are removed first and the figures read after, so a change
    committed meanwhile either is in the figures or leaves a change row behind (on PostgreSQL a DELETE removes
    only rows committed before it); refreshes take turns (an advisory lock), so an older computation never
    overwrites a newer one.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.select(sa.func.pg_advisory_xact_lock(REFRESH_LOCK)))
    current = week_number(now)
    wanted = [week for week in weeks if week < current]
    if not wanted:
        return 0
    todo = stale_weeks(db, min(wanted), max(wanted))
    todo = [week for week in todo if week in set(wanted)]
    if not todo:
        return 0
    db.execute(sa.delete(InsightWeekChange).where(InsightWeekChange.week.in_(todo)))
    found = figures_of(db, spans_of(todo, now), services=True)
    for table in KEPT:
        db.execute(sa.delete(table).where(table.week.in_(todo)))
    _store(db, todo, found)
    return len(todo)


def forget_before(db: Session, week: int) -> None:
    """Drop what is kept, and the change rows, of weeks no window reaches any more."""
    for table in (*KEPT, InsightWeekChange):
        db.execute(sa.delete(table).where(table.week < week))


def _store(db: Session, weeks: Sequence[int], found: dict[int, WeekFigures]) -> None:
    empty = WeekFigures()
    db.execute(sa.insert(InsightWeek), [
        {"week": week, "ack_median": found.get(week, empty).ack_median,
         "resolve_median": found.get(week, empty).resolve_median} for week in weeks])
    severities = [{"week": week, "severity": severity, **vars(figures)}
                  for week in weeks for severity, figures in found.get(week, empty).severities.items()]
    statuses = [{"week": week, "severity": severity, "status": status, **vars(figures)}
                for week in weeks for (severity, status), figures in found.get(week, empty).statuses.items()]
    services = [{"week": week, "severity": severity, "service": name, "incidents": count}
                for week in weeks for (severity, name), count in found.get(week, empty).services.items()]
    followups = [{"week": week, "severity": severity, **vars(figures)}
                 for week in weeks for severity, figures in found.get(week, empty).followups.items()]
    for table, rows in ((InsightWeekSeverity, severities), (InsightWeekStatus, statuses),
                        (InsightWeekService, services), (InsightWeekFollowUps, followups)):
        if rows:
            db.execute(sa.insert(table), rows)
