"""How long each incident spent in each status: one row per stretch of time in one status."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk
from warroom.incidents.models import Severity, Status


class StatusPeriod(Base):
    """A stretch an incident spent in one status; ``ended_at`` is empty while it is still in it.

    Written with every status change, in the same transaction; ``seconds`` is filled in when the stretch ends,
    so the insights add them up without date arithmetic in SQL.
    """

    __tablename__ = "incident_status_periods"
    __table_args__ = (sa.Index("ix_incident_status_periods_incident_id_ended_at", "incident_id", "ended_at"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    status: Mapped[Status]
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    seconds: Mapped[int | None]


# The weekly roll-up (ADR 0026) ----------------------------------------------------------------------------
#
# Weeks are numbered from Monday 1969-12-29 (week 0), in UTC; an incident belongs to the week it was declared, a
# follow-up to the weeks it was created and done in. Only weeks that are over are kept. Database triggers
# (migration 0022) add a row to ``insight_week_changes`` in the transaction of every change to an incident's
# figures, its status periods or its follow-ups, so a week is read from the roll-up only while it has an
# ``insight_weeks`` row and no change row; otherwise it is computed from the incidents, as the current week
# always is.


class InsightWeek(Base):
    """A kept week: its medians over every severity (the per-severity figures are in the tables below)."""

    __tablename__ = "insight_weeks"

    week: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    ack_median: Mapped[float | None] = mapped_column(sa.Float)
    resolve_median: Mapped[float | None] = mapped_column(sa.Float)


class InsightWeekSeverity(Base):
    """One week's incidents of one severity: counts, sums of seconds and medians."""

    __tablename__ = "insight_week_severities"

    week: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    severity: Mapped[Severity] = mapped_column(primary_key=True)
    incidents: Mapped[int]
    ack_seconds: Mapped[float] = mapped_column(sa.Float)
    acknowledged: Mapped[int]
    ack_median: Mapped[float | None] = mapped_column(sa.Float)
    resolve_seconds: Mapped[float] = mapped_column(sa.Float)
    resolved: Mapped[int]
    resolve_median: Mapped[float | None] = mapped_column(sa.Float)
    false_positives: Mapped[int]


class InsightWeekStatus(Base):
    """Time one week's incidents of one severity spent in one status: ended periods' seconds, and the open
    periods' count and sum of start times (seconds since 1970), from which the time up to any moment follows."""

    __tablename__ = "insight_week_statuses"

    week: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    severity: Mapped[Severity] = mapped_column(primary_key=True)
    status: Mapped[Status] = mapped_column(primary_key=True)
    incidents: Mapped[int]
    ended_seconds: Mapped[int] = mapped_column(sa.BigInteger)
    open_periods: Mapped[int]
    open_since: Mapped[float] = mapped_column(sa.Float)


class InsightWeekService(Base):
    """How many of one week's incidents of one severity named a service; private security incidents are never
    counted here (their services count only for those who may see them, so they are read live)."""

    __tablename__ = "insight_week_services"

    week: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    severity: Mapped[Severity] = mapped_column(primary_key=True)
    service: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    incidents: Mapped[int]


class InsightWeekFollowUps(Base):
    """Follow-ups of incidents of one severity created in the week (and how many of those are done now), and
    follow-ups done in the week: by the follow-up's own dates, not its incident's week."""

    __tablename__ = "insight_week_followups"

    week: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    severity: Mapped[Severity] = mapped_column(primary_key=True)
    created: Mapped[int]
    created_done: Mapped[int]
    done: Mapped[int]


class InsightWeekChange(Base):
    """A week whose kept figures may be out of date: written by triggers, removed when the week is kept again."""

    __tablename__ = "insight_week_changes"

    id: Mapped[int] = int_pk()
    week: Mapped[int] = mapped_column(sa.Integer, index=True)
