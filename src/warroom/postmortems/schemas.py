"""Postmortems on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.postmortems.service import CommentRow, LibraryRow, PostmortemView
from warroom.postmortems.template import PLACEHOLDERS


class PostmortemPatch(BaseModel):
    """Send only what changes. Publishing (state 'published', from in_review) writes the exports."""

    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(None, description="The whole body, in Markdown.")
    title: str | None = None
    state: str | None = Field(None, description="draft, in_review or published.", examples=["in_review"])


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(examples=["The 14:05 entry was the actual detection; move it up in the summary."])


class CommentOut(BaseModel):
    id: int
    author: str | None
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: CommentRow) -> CommentOut:
        c = row.comment
        return cls(id=c.id, author=row.author_handle, body=c.body, created_at=c.created_at)


class ExportLinks(BaseModel):
    md: str
    html: str
    pdf: str


class PostmortemOut(BaseModel):
    incident: str
    title: str
    state: str
    body: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    published_by: str | None
    published_to: str
    comments: list[CommentOut]
    exports: ExportLinks

    @classmethod
    def of(cls, view: PostmortemView) -> PostmortemOut:
        p, ref = view.postmortem, view.incident.ref
        base = f"/api/v1/incidents/{ref}/postmortem"
        return cls(incident=ref, title=p.title, state=p.state.value, body=p.body, created_at=p.created_at,
                   updated_at=p.updated_at, published_at=p.published_at, published_by=view.published_by,
                   published_to=p.published_to, comments=[CommentOut.of(c) for c in view.comments],
                   exports=ExportLinks(md=f"{base}.md", html=f"{base}.html", pdf=f"{base}.pdf"))


class LibraryItem(BaseModel):
    incident: str
    title: str
    severity: str
    published_at: datetime | None
    url: str

    @classmethod
    def of(cls, row: LibraryRow) -> LibraryItem:
        ref = row.incident.ref
        return cls(incident=ref, title=row.postmortem.title, severity=row.incident.severity.value,
                   published_at=row.postmortem.published_at, url=f"/api/v1/incidents/{ref}/postmortem")


class LibraryPage(BaseModel):
    items: list[LibraryItem]
    total: int


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(description="Markdown with {{placeholders}}; see GET /postmortems/template.")


class TemplateOut(BaseModel):
    body: str
    builtin: bool = Field(description="True while the built-in template is in use.")
    placeholders: dict[str, str] = Field(default_factory=lambda: dict(PLACEHOLDERS))
