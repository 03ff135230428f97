"""Where the Matrix listener is in the bot's /sync stream, so a restart resumes without replaying."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base


class MatrixSyncPosition(Base):
    """The last ``next_batch`` handled for one bot account on one homeserver."""

    __tablename__ = "matrix_sync"

    account: Mapped[str] = mapped_column(sa.String(255), primary_key=True)  # @bot:example.org
    next_batch: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime]
