"""Related public GitHub issues: link the customer-facing issues an incident touches; on resolve, tell each.

When the incident resolves (or when an issue is linked to an incident already resolved), an engine job per issue
comments the resolution on it and, if chosen, closes it. Once every linked issue is updated, the "related GitHub
issues updated" checklist step ticks itself. A private security incident's comment names only its reference.

Takes a session; commits nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.checklists.service import GITHUB_ISSUES_UPDATED
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.engine import queue
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Status
from warroom.ports import valid_repository
from warroom.related_issues.models import RelatedGithubIssue, RelatedIssueState
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

RELATED_ISSUE_JOB = "related_github_issue"
MAX_NUMBER = 2**31 - 1
MAX_LINKED = 50
_REFERENCE = re.compile(r"^(?P<repo>[^\s#/]+/[^\s#/]+)#(?P<number>\d{1,10})$")
_URL = re.compile(r"^https?://[^/\s]+/(?P<repo>[^\s#/]+/[^\s#/]+)/issues/(?P<number>\d{1,10})/?$")


@dataclass(frozen=True)
class IssueRef:
    repository: str
    number: int

    def __str__(self) -> str:
        return f"{self.repository}#{self.number}"


def parse_reference(text: str) -> IssueRef:
    """``owner/name#12`` (or the issue's URL) → the issue; anything else is refused with how to write it."""
    value = text.strip()
    match = _REFERENCE.match(value) or _URL.match(value)
    if match is None:
        raise ValidationFailed(f"'{value}' is not a GitHub issue; write it as owner/name#12 (like acme/api#812) "
                               "or paste the issue's URL.", field="issue")
    try:
        repository = valid_repository(match["repo"])
    except ValueError as error:
        raise ValidationFailed(str(error), field="issue") from None
    number = int(match["number"])
    if not 0 < number <= MAX_NUMBER:
        raise ValidationFailed(f"{number} is not a GitHub issue number; they start at 1.", field="issue")
    return IssueRef(repository, number)


def issue_url(api_url: str, repository: str, number: int) -> str:
    """The issue's page: github.com for api.github.com, the Enterprise host for its /api/v3."""
    base = api_url.rstrip("/")
    if base == "https://api.github.com":
        base = "https://github.com"
    elif base.endswith("/api/v3"):
        base = base[: -len("/api/v3")]
    return f"{base}/{repository}/issues/{number}"


def is_resolved(incident: Incident) -> bool:
    return incident.status in (Status.resolved, Status.closed)


# Changes -------------------------------------------------------------------------------------------------


def _incident_for_change(db: Session, actor: Actor, ref: str | int) -> Incident:
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident


def _linked(db: Session, incident: Incident, target: IssueRef) -> RelatedGithubIssue | None:
    return db.scalar(sa.select(RelatedGithubIssue).where(
        RelatedGithubIssue.incident_id == incident.id,
        sa.func.lower(RelatedGithubIssue.repository) == target.repository.lower(),
        RelatedGithubIssue.number == target.number))


def link(
    *, db: Session, actor: Actor, ref: str | int, issue: str, close_on_resolve: bool = False,
) -> RelatedGithubIssue:
    """Link a public issue; if the incident is already resolved, it is updated at once."""
    incident = _incident_for_change(db, actor, ref)
    target = parse_reference(issue)
    if _linked(db, incident, target) is not None:
        raise Conflict(f"{target} is already linked to {incident.ref}.")
    count = db.scalar(sa.select(sa.func.count()).select_from(RelatedGithubIssue)
                      .where(RelatedGithubIssue.incident_id == incident.id)) or 0
    if count >= MAX_LINKED:
        raise ValidationFailed(f"An incident links at most {MAX_LINKED} GitHub issues.", field="issue")
    now = actor.clock.now()
    row = RelatedGithubIssue(incident_id=incident.id, repository=target.repository, number=target.number,
                             close_on_resolve=close_on_resolve, state=RelatedIssueState.linked, error="",
                             created_by_id=actor.user_id, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    audit.record(db=db, actor=actor, action="related_issue.linked", target_type="incident", target_id=incident.ref,
                 issue=str(target), close_on_resolve=close_on_resolve)
    then = "comment the resolution and close it" if close_on_resolve else "comment the resolution"
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Related GitHub issue {target} linked; on resolve, Warroom will {then}",
                       related_issue=row.id)
    if is_resolved(incident):
        _queue(db, row, now)
    return row


def unlink(*, db: Session, actor: Actor, ref: str | int, issue: str) -> IssueRef:
    incident = _incident_for_change(db, actor, ref)
    target = parse_reference(issue)
    row = _linked(db, incident, target)
    if row is None:
        raise NotFound(f"{target} is not linked to {incident.ref}.", field="issue")
    db.delete(row)
    audit.record(db=db, actor=actor, action="related_issue.unlinked", target_type="incident",
                 target_id=incident.ref, issue=str(target))
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Related GitHub issue {target} unlinked")
    db.flush()
    tick_when_all_updated(db=db, incident=incident, actor=actor)
    return target


def retry(*, db: Session, actor: Actor, ref: str | int, issue: str) -> RelatedGithubIssue:
    """Try a failed update again (after fixing the token or the repository's access)."""
    incident = _incident_for_change(db, actor, ref)
    target = parse_reference(issue)
    row = _linked(db, incident, target)
    if row is None:
        raise NotFound(f"{target} is not linked to {incident.ref}.", field="issue")
    if row.state is not RelatedIssueState.failed:
        raise Conflict(f"{target} is {row.state.value}; only a failed update is tried again.")
    if not is_resolved(incident):
        raise Conflict(f"{incident.ref} is not resolved yet; {target} is updated when it resolves.")
    row.state = RelatedIssueState.linked
    row.error = ""
    _queue(db, row, actor.clock.now())
    return row


def on_resolved(*, db: Session, incident: Incident, now: datetime) -> int:
    """The incident just resolved: queue an update for each linked issue. Returns how many."""
    rows = list(db.scalars(sa.select(RelatedGithubIssue).where(
        RelatedGithubIssue.incident_id == incident.id, RelatedGithubIssue.state == RelatedIssueState.linked)
        .order_by(RelatedGithubIssue.id)))
    for row in rows:
        _queue(db, row, now)
    return len(rows)


def _queue(db: Session, row: RelatedGithubIssue, now: datetime) -> None:
    queue.enqueue(db=db, kind=RELATED_ISSUE_JOB, payload={"related_issue_id": row.id},
                  idempotency_key=f"related-issue:{row.id}:{uuid.uuid4().hex}", due_at=now)


# The engine's side ---------------------------------------------------------------------------------------


def record_comment(*, db: Session, actor: Actor, related_issue_id: int, comment_id: int, url: str) -> bool:
    """The resolution is commented; True when the issue still has to be closed (a job is queued for that)."""
    row = db.get(RelatedGithubIssue, related_issue_id)
    if row is None or row.state is not RelatedIssueState.linked:
        return False
    row.comment_id = comment_id
    row.comment_url = url[:500] or None
    row.updated_at = actor.clock.now()
    if row.close_on_resolve:
        _queue(db, row, actor.clock.now())
        return True
    record_updated(db=db, actor=actor, related_issue_id=related_issue_id, closed=False)
    return False


def record_updated(*, db: Session, actor: Actor, related_issue_id: int, closed: bool) -> None:
    row = db.get(RelatedGithubIssue, related_issue_id)
    if row is None or row.state is not RelatedIssueState.linked:
        return
    incident = incidents.lock_incident(db=db, ref=row.incident_id)
    row.state = RelatedIssueState.updated
    row.error = ""
    row.updated_at = actor.clock.now()
    what = "commented with the resolution and closed" if closed else "commented with the resolution"
    audit.record(db=db, actor=actor, action="related_issue.updated", target_type="incident", target_id=incident.ref,
                 issue=f"{row.repository}#{row.number}", closed=closed)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Related GitHub issue {row.repository}#{row.number} {what}", related_issue=row.id,
                       url=row.comment_url or "")
    tick_when_all_updated(db=db, incident=incident, actor=actor)


def record_failure(*, db: Session, actor: Actor, related_issue_id: int, error: str) -> None:
    row = db.get(RelatedGithubIssue, related_issue_id)
    if row is None or row.state is not RelatedIssueState.linked:
        return
    incident = incidents.get_incident(db=db, ref=row.incident_id)
    row.state = RelatedIssueState.failed
    row.error = error[:2000]
    row.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="related_issue.failed", target_type="incident", target_id=incident.ref,
                 issue=f"{row.repository}#{row.number}", error=error[:500])
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Related GitHub issue {row.repository}#{row.number} could not be updated: "
                            f"{error[:500]}", related_issue=row.id)


def tick_when_all_updated(*, db: Session, incident: Incident, actor: Actor) -> None:
    counts = db.execute(sa.select(sa.func.count(), sa.func.count().filter(
        RelatedGithubIssue.state == RelatedIssueState.updated)).where(
        RelatedGithubIssue.incident_id == incident.id)).one()
    if counts[0] > 0 and counts[0] == counts[1]:
        checklists.tick_if_open(db=db, incident=incident, actor=actor, key=GITHUB_ISSUES_UPDATED)


# Reading -------------------------------------------------------------------------------------------------


def list_related(*, db: Session, actor: Actor, ref: str | int) -> tuple[Incident, list[RelatedGithubIssue]]:
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    rows = list(db.scalars(sa.select(RelatedGithubIssue).where(RelatedGithubIssue.incident_id == incident.id)
                           .order_by(RelatedGithubIssue.id)))
    return incident, rows
