"""A public GitHub issue linked to an incident, and whether it has been told of the resolution."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class RelatedIssueState(enum.StrEnum):
    linked = "linked"  # waiting for the incident to resolve (or for the engine to update it)
    updated = "updated"  # the resolution was commented (and the issue closed, if chosen)
    failed = "failed"  # gave up; see error


class RelatedGithubIssue(Base):
    __tablename__ = "related_github_issues"
    __table_args__ = (sa.UniqueConstraint("incident_id", "repository", "number"),)

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    repository: Mapped[str] = mapped_column(sa.String(140))  # owner/name
    number: Mapped[int]
    close_on_resolve: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RelatedIssueState] = mapped_column(default=RelatedIssueState.linked)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    comment_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    comment_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
