"""Follow-ups on the wire."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.bounds import StrictInt
from warroom.followups.service import FollowUpRow


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(examples=["Add an alert on search index lag"])
    owner: str = Field("", description="Who does it: @handle or email (optional).", examples=["@alice"])
    due: str = Field("", description="Due date, YYYY-MM-DD (optional).", examples=["2026-12-15"])
    priority: str = Field("medium", description="low, medium or high.")
    github: str = Field("", description="'new' to create a GitHub issue for it, 'owner/name#123' to link an "
                                        "existing one, or empty.", examples=["new", "acme/search#812"])
    repository: str = Field("", description="Repository for a new issue (owner/name); default: the configured one.")
    labels: list[str] = Field(default_factory=list, description="Labels for a new issue.")


class FollowUpPatch(BaseModel):
    """Send only what changes; an empty owner or due clears it."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(None, description="open or done.")
    owner: str | None = None
    due: str | None = None
    priority: str | None = None


class IssueIn(BaseModel):
    """Attach a GitHub issue: a new one (no number) or an existing one."""

    model_config = ConfigDict(extra="forbid")

    repository: str = Field("", description="owner/name; default: the configured repository.")
    number: StrictInt | None = Field(None, description="An existing issue's number; leave out to create one.")
    labels: list[str] = Field(default_factory=list)


class GithubIssueOut(BaseModel):
    state: str = Field(description="none, pending (being attached), attached or failed.")
    repository: str | None
    number: int | None
    url: str | None
    error: str


class FollowUpOut(BaseModel):
    id: int
    incident: str
    text: str
    owner: str | None
    due: date | None
    priority: str
    status: str
    created_at: datetime
    done_at: datetime | None
    github: GithubIssueOut

    @classmethod
    def of(cls, row: FollowUpRow) -> FollowUpOut:
        f = row.followup
        issue = GithubIssueOut(state=f.issue_link.value, repository=f.github_repo, number=f.github_number,
                               url=f.github_url, error=f.github_error)
        return cls(id=f.id, incident=row.incident_ref, text=f.text, owner=row.owner_handle, due=f.due_on,
                   priority=f.priority.value, status=f.status.value, created_at=f.created_at, done_at=f.done_at,
                   github=issue)


class FollowUpPage(BaseModel):
    items: list[FollowUpOut]
    total: int


class WebhookOut(BaseModel):
    status: str = Field(description="handled, ignored or pong.")
    detail: str
    changed: int
