"""Postmortems: the incident's write-up, drafted from the room, reviewed, published to the library."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class PostmortemState(enum.StrEnum):
    draft = "draft"
    in_review = "in_review"
    published = "published"


class Postmortem(Base):
    """One per incident; its body is Markdown."""

    __tablename__ = "postmortems"

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[PostmortemState] = mapped_column(default=PostmortemState.draft, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None]
    # Where the last publication went (a folder path, for the folder publisher).
    published_to: Mapped[str] = mapped_column(sa.String(1000), default="")


class PostmortemComment(Base):
    __tablename__ = "postmortem_comments"

    id: Mapped[int] = int_pk()
    postmortem_id: Mapped[int] = mapped_column(sa.ForeignKey("postmortems.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


class PostmortemTemplate(Base):
    """The Markdown template new postmortems are drafted from; without a row, the built-in one."""

    __tablename__ = "postmortem_templates"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
