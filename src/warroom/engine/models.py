"""Durable work: a row per job with a due time, claimed under a lease."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class JobState(enum.StrEnum):
    pending = "pending"
    done = "done"
    dead = "dead"  # gave up: visible in the dead-letter list


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_state_due_at", "state", "due_at"),)

    id: Mapped[int] = int_pk()
    kind: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Receivers dedup on this: a job may be sent twice after a crash, never lost.
    idempotency_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    state: Mapped[JobState] = mapped_column(default=JobState.pending)
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class EngineHeartbeat(Base):
    """Each engine process's last sign of life: /readyz and /metrics read it, the engine writes it as it ticks."""

    __tablename__ = "engine_heartbeats"

    owner: Mapped[str] = mapped_column(sa.String(100), primary_key=True)  # host:pid, as the engine's leases
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
