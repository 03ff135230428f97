"""Follow-ups: the action items an incident leaves behind, each attachable to a GitHub issue."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk


class Priority(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class FollowUpStatus(enum.StrEnum):
    open = "open"
    done = "done"


class IssueLink(enum.StrEnum):
    """Where the follow-up's GitHub issue stands."""

    none = "none"  # not attached to any issue
    pending = "pending"  # a new issue is being created by the engine
    attached = "attached"  # attached to an issue (created here or linked)
    failed = "failed"  # creating the issue gave up; see github_error


class FollowUp(Base):
    __tablename__ = "followups"
    __table_args__ = (
        sa.Index("ix_followups_github_repo_github_number", "github_repo", "github_number"),
        sa.Index("ix_followups_status_due_on", "status", "due_on"),
        sa.Index("ix_followups_created_at_status", "created_at", "status"),
    )

    id: Mapped[int] = int_pk()
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    priority: Mapped[Priority] = mapped_column(default=Priority.medium)
    status: Mapped[FollowUpStatus] = mapped_column(default=FollowUpStatus.open)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(index=True)  # set exactly while done
    issue_link: Mapped[IssueLink] = mapped_column(default=IssueLink.none)
    github_repo: Mapped[str | None] = mapped_column(sa.String(140))  # owner/name
    github_number: Mapped[int | None]
    github_url: Mapped[str | None] = mapped_column(sa.String(500))
    github_error: Mapped[str] = mapped_column(sa.Text, default="")
    # The day its owner was last reminded that it is overdue (one reminder a day at most).
    last_reminded_on: Mapped[date | None] = mapped_column(sa.Date)


class GithubDelivery(Base):
    """A GitHub webhook delivery already handled (its X-GitHub-Delivery id), so a replay changes nothing."""

    __tablename__ = "github_deliveries"

    delivery_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime]
