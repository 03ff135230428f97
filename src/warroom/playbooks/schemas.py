"""Playbooks on the wire: Markdown bodies whose "- [ ] step" lines become checklist items."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.playbooks.models import Playbook
from warroom.playbooks.service import Suggestion, steps_of


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaybookChangeIn(Input):
    title: str = Field(examples=["Roll back a bad deploy"])
    body_md: str = Field(description="Markdown; '- [ ] step' lines become the incident's checklist.")
    services: list[str] = Field(default_factory=list,
                                description="Suggested when these services are affected; '*' fits any.")
    keywords: list[str] = Field(default_factory=list, description="Suggested when these words are in the title.")


class PlaybookIn(PlaybookChangeIn):
    slug: str = Field(examples=["roll-back-a-bad-deploy"])


class PlaybookOut(BaseModel):
    slug: str
    title: str
    body_md: str
    services: list[str]
    keywords: list[str]
    steps: list[str] = Field(description="The checklist items attaching it adds.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, playbook: Playbook) -> PlaybookOut:
        return cls(slug=playbook.slug, title=playbook.title, body_md=playbook.body_md,
                   services=list(playbook.services), keywords=list(playbook.keywords),
                   steps=steps_of(playbook.body_md), created_at=playbook.created_at,
                   updated_at=playbook.updated_at)


class PlaybookPage(BaseModel):
    items: list[PlaybookOut]
    total: int
    limit: int
    offset: int


class SuggestionOut(BaseModel):
    slug: str
    title: str
    score: int
    because: str = Field(description="Which services and words matched.")

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionOut:
        return cls(slug=suggestion.playbook.slug, title=suggestion.playbook.title, score=suggestion.score,
                   because=suggestion.because)
