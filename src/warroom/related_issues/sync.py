"""The engine handler that tells a related GitHub issue the incident is resolved: a comment, then (if chosen) close.

Two steps, each its own job: the comment is recorded once GitHub has it, so a retried close never comments twice.
The calls happen outside any write transaction. A GitHub outage or rate limit retries (honouring Retry-After); an
unknown repository or issue, a refused token or invalid input gives up at once and the issue says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder, TransactionalHandler
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.ports import IssueTracker
from warroom.related_issues import service as related
from warroom.related_issues.models import RelatedGithubIssue, RelatedIssueState
from warroom.timeline.models import EntryKind, TimelineEntry


@dataclass(frozen=True)
class Update:
    related_issue_id: int
    repository: str
    number: int
    close: bool
    commented: bool  # the comment is already on GitHub: only the close is left
    incident_ref: str
    incident_title: str
    summary: str
    note: str  # what the resolver said
    resolved_at: datetime | None
    private: bool


def _load(db: Session, related_issue_id: int) -> Update | None:
    row = db.execute(sa.select(RelatedGithubIssue, Incident)
                     .join(Incident, Incident.id == RelatedGithubIssue.incident_id)
                     .where(RelatedGithubIssue.id == related_issue_id)).one_or_none()
    if row is None:
        return None
    issue, incident = row
    if issue.state is not RelatedIssueState.linked or not related.is_resolved(incident):
        return None
    resolved = db.scalar(sa.select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                        TimelineEntry.kind == EntryKind.resolved)
                         .order_by(TimelineEntry.id.desc()).limit(1))
    note = str(resolved.data.get("text", "")) if resolved is not None and resolved.data else ""
    return Update(issue.id, issue.repository, issue.number, issue.close_on_resolve, issue.comment_id is not None,
                  incident.ref, incident.title, incident.summary.strip(), note.strip(), incident.resolved_at,
                  visibility.is_private(incident))


def comment_body(update: Update, base_url: str) -> str:
    when = f"{update.resolved_at:%Y-%m-%d %H:%M} UTC" if update.resolved_at else "just now"
    if update.private:
        return f"The incident tracked here ({update.incident_ref}) was resolved at {when}."
    link = f"{base_url.rstrip('/')}/incidents/{update.incident_ref}"
    lines = [f"**{update.incident_ref} resolved** at {when} — {update.incident_title}"]
    details = [text for text in (update.summary, update.note) if text]
    if details:
        lines += ["", *details]
    lines += ["", f"Incident: {link}"]
    return "\n".join(lines)


def make_handler(settings: Settings, clock: Clock, github: IssueTracker) -> Handler:

    def handle(db: Session, job: Job) -> Recorder | None:
        related_issue_id = int(job.payload["related_issue_id"])
        update = _load(db, related_issue_id)
        if update is None:
            return None  # unlinked, updated meanwhile, or the incident reopened
        db.expunge_all()
        db.rollback()
        if update.commented:
            github.close_issue(repository=update.repository, number=update.number)

            def closed(write: Session) -> None:
                related.record_updated(db=write, actor=Actor.system(clock), related_issue_id=related_issue_id,
                                       closed=True)

            return closed
        comment = github.add_comment(repository=update.repository, number=update.number,
                                     body=comment_body(update, settings.base_url))

        def commented(write: Session) -> None:
            related.record_comment(db=write, actor=Actor.system(clock), related_issue_id=related_issue_id,
                                   comment_id=comment.id, url=comment.url)

        return commented

    return handle


def make_failure_handler(clock: Clock) -> TransactionalHandler:
    """The job gave up: the related issue says it failed, with GitHub's reason."""

    def on_dead(db: Session, job: Job) -> None:
        stored = db.get(Job, job.id)
        error = stored.last_error if stored is not None else "gave up"
        related.record_failure(db=db, actor=Actor.system(clock), related_issue_id=int(job.payload["related_issue_id"]),
                               error=error)

    return on_dead
