"""The shared throttles' rows: each says until when it matters (``expires_at``), so old rows are pruned by one rule."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class ThrottleCount(Base):
    """Recent failures under one key (a login name, an address, or both): how many, and the last one's time."""

    __tablename__ = "throttle_counts"

    key: Mapped[str] = mapped_column(sa.String(400), primary_key=True)
    count: Mapped[int]
    last_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ThrottleHit(Base):
    """One hit under a key (a report sent, a subscription asked for), counted while inside its window."""

    __tablename__ = "throttle_hits"
    __table_args__ = (sa.Index("ix_throttle_hits_key_at", "key", "at"),)

    id: Mapped[int] = int_pk()
    key: Mapped[str] = mapped_column(sa.String(400))
    at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UsedFormToken(Base):
    """A public form's token already sent: refused again until it would have expired anyway."""

    __tablename__ = "used_form_tokens"

    nonce: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
