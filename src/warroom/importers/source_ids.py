"""The ids imported objects had in the tool they came from (Opsgenie, PagerDuty, Grafana OnCall).

Monitoring rules and scripts name schedules, teams, users and escalations by those ids; the compat endpoints
find them by that id as well as by Warroom's own id and name (``target_id``).
"""

from __future__ import annotations

import enum
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from warroom.db.base import Base, int_pk
from warroom.db.memo import forget, memo

MAX_SOURCE_ID = 200
Row = TypeVar("Row")


class SourceKind(enum.StrEnum):
    user = "user"
    team = "team"
    schedule = "schedule"
    escalation = "escalation"


class SourceId(Base):
    __tablename__ = "source_ids"
    __table_args__ = (sa.UniqueConstraint("source", "kind", "source_id", name="uq_source_ids_source_kind_id"),
                      sa.Index("ix_source_ids_kind_source_id", "kind", "source_id"))

    id: Mapped[int] = int_pk()
    source: Mapped[str] = mapped_column(sa.String(32))  # opsgenie, pagerduty, grafana-oncall
    kind: Mapped[SourceKind]
    source_id: Mapped[str] = mapped_column(sa.String(MAX_SOURCE_ID))
    target_id: Mapped[int]


def target_id(db: Session, kind: str, ref: str) -> int | None:
    """The Warroom id of the user, team, schedule or escalation policy a source tool knew as ``ref``."""
    text = ref.strip()
    if kind not in SourceKind.__members__ or not text or len(text) > MAX_SOURCE_ID:
        return None
    seen = memo(db, "source_ids")
    asked = (kind, text)
    if asked not in seen:
        seen[asked] = db.scalar(sa.select(SourceId.target_id).where(
            SourceId.kind == SourceKind(kind), SourceId.source_id == text).order_by(SourceId.id).limit(1))
    found: int | None = seen[asked]
    return found


def remember(db: Session, *, source: str, kind: SourceKind, source_id: str, target: int) -> SourceId:
    """Keep a source id the caller knows is not kept yet (an importer reads the kept ones once per run)."""
    forget(db, "source_ids")
    row = SourceId(source=source, kind=kind, source_id=source_id.strip()[:MAX_SOURCE_ID], target_id=target)
    db.add(row)
    return row


def row(db: Session, model: type[Row], kind: str, ref: str) -> Row | None:
    """The row (of ``model``) a source tool knew as ``ref``."""
    found = target_id(db, kind, ref)
    return db.get(model, found) if found is not None else None
