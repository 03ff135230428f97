"""Related GitHub issues on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.related_issues.models import RelatedGithubIssue
from warroom.related_issues.service import issue_url


class RelatedIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issue: str = Field(description="owner/name#number, or the issue's URL.", examples=["acme/api#812"])
    close_on_resolve: bool = Field(False, description="Close the issue (as completed) when the incident resolves.")


class RelatedIssueOut(BaseModel):
    issue: str
    repository: str
    number: int
    url: str
    close_on_resolve: bool
    state: str = Field(description="linked (waiting for the resolution), updated, or failed (see error).")
    error: str
    comment_url: str | None
    updated_at: datetime

    @classmethod
    def of(cls, row: RelatedGithubIssue, api_url: str) -> RelatedIssueOut:
        return cls(issue=f"{row.repository}#{row.number}", repository=row.repository, number=row.number,
                   url=issue_url(api_url, row.repository, row.number),
                   close_on_resolve=row.close_on_resolve, state=row.state.value, error=row.error,
                   comment_url=row.comment_url, updated_at=row.updated_at)


class RelatedIssuePage(BaseModel):
    incident: str
    items: list[RelatedIssueOut]
    total: int
