"""Follow-ups: create, change and list an incident's action items; attach them to GitHub issues.

Every change is audited and said in the incident's room, in the caller's transaction. Attaching a GitHub issue
(a new one, or an existing one by number) is an engine job, so a GitHub outage retries; the follow-up shows
"issue pending" until the issue lands. The "follow-ups created" checklist step ticks itself once the incident
has follow-ups and every one of them is attached to a GitHub issue (the handbook: "create follow-ups, each
attached to a GitHub issue"); until then it stays open for a person to tick or skip.

Takes a session; commits nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Membership, Team, User
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.checklists.service import FOLLOWUPS_CREATED
from warroom.core.actor import Actor
from warroom.core.errors import Conflict, NotFound, ValidationFailed
from warroom.engine import queue
from warroom.followups.models import FollowUp, FollowUpStatus, IssueLink, Priority
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.ports import valid_repository
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind

GITHUB_ISSUE_JOB = "github_issue"
MAX_TEXT = 2_000
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class FollowUpRow:
    followup: FollowUp
    owner_handle: str | None
    incident_ref: str

    @property
    def issue_label(self) -> str:
        f = self.followup
        if f.issue_link is IssueLink.pending:
            return "issue pending"
        if f.issue_link is IssueLink.attached:
            return f"{f.github_repo}#{f.github_number}"
        if f.issue_link is IssueLink.failed:
            return "issue failed"
        return ""


# Input ---------------------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValidationFailed("Say what needs doing: a follow-up needs text.", field="text")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"A follow-up's text is at most {MAX_TEXT} characters (this one has {len(text)}).",
                               field="text")
    return text


def parse_priority(value: str) -> Priority:
    try:
        return Priority(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"Unknown priority '{value}'. Use one of: low, medium, high.",
                               field="priority") from None


def parse_due(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"'{text}' is not a date; use YYYY-MM-DD (like 2026-12-31).", field="due") from None


def parse_status(value: str) -> FollowUpStatus:
    try:
        return FollowUpStatus(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"Unknown status '{value}'. Use open or done.", field="status") from None


def _owner(db: Session, who: str) -> User | None:
    if not who.strip():
        return None
    try:
        return accounts.find_person(db=db, who=who)
    except NotFound:
        raise ValidationFailed(f"No person '{who.strip()}' to own this follow-up; use an @handle or email of "
                               "someone in Warroom.", field="owner") from None


def _repository(value: str, default: str) -> str:
    text = value.strip() or default.strip()
    if not text:
        raise ValidationFailed("Name the GitHub repository (owner/name), or set WARROOM_GITHUB_REPOSITORY.",
                               field="repository")
    try:
        return valid_repository(text)
    except ValueError as error:
        raise ValidationFailed(str(error), field="repository") from None


# Changes -------------------------------------------------------------------------------------------------


def _incident_for_change(db: Session, actor: Actor, ref: str | int) -> Incident:
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return incident


def create_followup(
    *, db: Session, actor: Actor, ref: str | int, text: str, owner: str = "", due: str = "",
    priority: str = "medium",
) -> FollowUp:
    incident = _incident_for_change(db, actor, ref)
    clean = clean_text(text)
    person = _owner(db, owner)
    due_on = parse_due(due)
    level = parse_priority(priority)
    now = actor.clock.now()
    followup = FollowUp(incident_id=incident.id, text=clean, owner_id=person.id if person else None, due_on=due_on,
                        priority=level, status=FollowUpStatus.open, created_by_id=actor.user_id, created_at=now,
                        updated_at=now, issue_link=IssueLink.none, github_error="")
    db.add(followup)
    db.flush()
    audit.record(db=db, actor=actor, action="followup.created", target_type="followup", target_id=followup.id,
                 incident_id=incident.id, text=clean, owner=person.handle if person else None,
                 due=due_on.isoformat() if due_on else None, priority=level.value)
    extra = (f" (owner @{person.handle})" if person else "") + (f", due {due_on.isoformat()}" if due_on else "")
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Follow-up #{followup.id} added: {clean}{extra}", followup_id=followup.id)
    return followup


def get_followup(*, db: Session, actor: Actor, followup_id: int) -> tuple[FollowUp, Incident]:
    if not 0 < followup_id <= MAX_ID:
        raise NotFound(f"No follow-up #{followup_id}.", field="followup")
    followup = db.get(FollowUp, followup_id)
    if followup is None:
        raise NotFound(f"No follow-up #{followup_id}.", field="followup")
    incident = incidents.get_incident(db=db, ref=followup.incident_id)
    if not visibility.can_see(db=db, actor=actor, incident=incident):
        raise NotFound(f"No follow-up #{followup_id}.", field="followup")
    return followup, incident


def update_followup(
    *, db: Session, actor: Actor, followup_id: int, status: str | None = None, owner: str | None = None,
    due: str | None = None, priority: str | None = None,
) -> FollowUp:
    """Change what is given (None leaves a field alone; an empty owner or due clears it)."""
    actor.require(AccessRole.responder)
    followup, _ = get_followup(db=db, actor=actor, followup_id=followup_id)
    incident = _incident_for_change(db, actor, followup.incident_id)
    changes: dict[str, Any] = {}
    if status is not None:
        new_status = parse_status(status)
        if new_status is not followup.status:
            _set_status(followup, new_status, actor.clock.now())
            changes["status"] = new_status.value
    if owner is not None:
        person = _owner(db, owner)
        if (person.id if person else None) != followup.owner_id:
            followup.owner_id = person.id if person else None
            changes["owner"] = f"@{person.handle}" if person else "nobody"
    if due is not None:
        due_on = parse_due(due)
        if due_on != followup.due_on:
            followup.due_on = due_on
            changes["due"] = due_on.isoformat() if due_on else "none"
    if priority is not None:
        level = parse_priority(priority)
        if level is not followup.priority:
            followup.priority = level
            changes["priority"] = level.value
    if not changes:
        return followup
    followup.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="followup.updated", target_type="followup", target_id=followup.id,
                 incident_id=incident.id, **changes)
    said = ", ".join(f"{k} {v}" for k, v in changes.items())
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Follow-up #{followup.id} changed: {said}", followup_id=followup.id)
    return followup


def _set_status(followup: FollowUp, status: FollowUpStatus, now: datetime) -> None:
    followup.status = status
    followup.done_at = now if status is FollowUpStatus.done else None


def request_issue(
    *, db: Session, actor: Actor, followup_id: int, repository: str = "", number: int | None = None,
    default_repository: str = "", labels: list[str] | None = None,
) -> FollowUp:
    """Attach a GitHub issue: a new one (no number) or an existing one; the engine talks to GitHub."""
    actor.require(AccessRole.responder)
    followup, _ = get_followup(db=db, actor=actor, followup_id=followup_id)
    incident = _incident_for_change(db, actor, followup.incident_id)
    if followup.issue_link in (IssueLink.pending, IssueLink.attached):
        where = "is being attached" if followup.issue_link is IssueLink.pending else (
            f"is attached to {followup.github_repo}#{followup.github_number}")
        raise Conflict(f"Follow-up #{followup.id} already {where}.")
    repo = _repository(repository, default_repository)
    if number is not None and not 0 < number <= MAX_ID:
        raise ValidationFailed(f"{number} is not a GitHub issue number; they start at 1.", field="number")
    clean_labels = [label.strip() for label in (labels or []) if label.strip()]
    if any(len(label) > 50 for label in clean_labels) or len(clean_labels) > 10:
        raise ValidationFailed("Give at most 10 labels of at most 50 characters each.", field="labels")
    now = actor.clock.now()
    followup.issue_link = IssueLink.pending
    followup.github_repo = repo
    followup.github_number = number
    followup.github_url = None
    followup.github_error = ""
    followup.updated_at = now
    mode = "create" if number is None else "link"
    queue.enqueue(db=db, kind=GITHUB_ISSUE_JOB, payload={"followup_id": followup.id, "mode": mode,
                                                         "labels": clean_labels},
                  idempotency_key=f"github-issue:{followup.id}:{uuid.uuid4().hex}", due_at=now)
    what = f"a new issue in {repo}" if number is None else f"{repo}#{number}"
    audit.record(db=db, actor=actor, action="followup.issue_requested", target_type="followup",
                 target_id=followup.id, incident_id=incident.id, repository=repo, number=number)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Follow-up #{followup.id}: attaching GitHub {what} (issue pending)",
                       followup_id=followup.id)
    return followup


def record_issue(*, db: Session, actor: Actor, followup_id: int, number: int, url: str, state: str,
                 created: bool) -> None:
    """What the engine learnt from GitHub: the issue is attached (and its open/closed state followed)."""
    followup = db.get(FollowUp, followup_id)
    if followup is None or followup.issue_link is not IssueLink.pending:
        return
    incident = incidents.lock_incident(db=db, ref=followup.incident_id)
    followup.issue_link = IssueLink.attached
    followup.github_number = number
    followup.github_url = url[:500]
    followup.updated_at = actor.clock.now()
    verb = "created" if created else "linked"
    audit.record(db=db, actor=actor, action=f"followup.issue_{verb}", target_type="followup",
                 target_id=followup.id, incident_id=incident.id, repository=followup.github_repo, number=number)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Follow-up #{followup.id}: GitHub issue {followup.github_repo}#{number} {verb}",
                       followup_id=followup.id, url=url)
    if state == "closed" and followup.status is FollowUpStatus.open:
        _resolve_from_github(db, actor, incident, followup, FollowUpStatus.done)
    tick_when_all_attached(db=db, incident=incident, actor=actor)


def record_issue_failure(*, db: Session, actor: Actor, followup_id: int, error: str) -> None:
    followup = db.get(FollowUp, followup_id)
    if followup is None or followup.issue_link is not IssueLink.pending:
        return
    incident = incidents.get_incident(db=db, ref=followup.incident_id)
    followup.issue_link = IssueLink.failed
    followup.github_error = error[:2000]
    followup.updated_at = actor.clock.now()
    audit.record(db=db, actor=actor, action="followup.issue_failed", target_type="followup",
                 target_id=followup.id, incident_id=incident.id, error=error[:500])
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=f"Follow-up #{followup.id}: the GitHub issue could not be attached: {error[:500]}",
                       followup_id=followup.id)


def tick_when_all_attached(*, db: Session, incident: Incident, actor: Actor) -> None:
    counts = db.execute(sa.select(sa.func.count(), sa.func.count().filter(FollowUp.issue_link == IssueLink.attached))
                        .where(FollowUp.incident_id == incident.id)).one()
    if counts[0] > 0 and counts[0] == counts[1]:
        checklists.tick_if_open(db=db, incident=incident, actor=actor, key=FOLLOWUPS_CREATED)


# GitHub webhook ------------------------------------------------------------------------------------------


def _resolve_from_github(db: Session, actor: Actor, incident: Incident, followup: FollowUp,
                         status: FollowUpStatus) -> None:
    _set_status(followup, status, actor.clock.now())
    followup.updated_at = actor.clock.now()
    verb = "closed" if status is FollowUpStatus.done else "reopened"
    audit.record(db=db, actor=actor, action=f"followup.{'done' if verb == 'closed' else 'reopened'}",
                 target_type="followup", target_id=followup.id, incident_id=incident.id, via_github=True)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                       body=(f"Follow-up #{followup.id} {'done' if verb == 'closed' else 'reopened'}: "
                             f"GitHub issue {followup.github_repo}#{followup.github_number} was {verb}"),
                       followup_id=followup.id)


def issue_state_changed(*, db: Session, actor: Actor, repository: str, number: int, closed: bool) -> int:
    """A GitHub issue closed or reopened: its attached follow-ups follow. Returns how many changed."""
    target = FollowUpStatus.done if closed else FollowUpStatus.open
    query = (sa.select(FollowUp).where(sa.func.lower(FollowUp.github_repo) == repository.lower(),
                                       FollowUp.github_number == number,
                                       FollowUp.issue_link == IssueLink.attached)
             .order_by(FollowUp.id))
    changed = 0
    for followup in db.scalars(query):
        if followup.status is target:
            continue
        incident = incidents.lock_incident(db=db, ref=followup.incident_id)
        _resolve_from_github(db, actor, incident, followup, target)
        changed += 1
    return changed


# Reading -------------------------------------------------------------------------------------------------


def list_followups(*, db: Session, actor: Actor, ref: str | int) -> list[FollowUpRow]:
    incident = incidents.get_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    return rows_of(db=db, incident=incident)


def rows_of(*, db: Session, incident: Incident) -> list[FollowUpRow]:
    query = (sa.select(FollowUp, User.handle).outerjoin(User, User.id == FollowUp.owner_id)
             .where(FollowUp.incident_id == incident.id).order_by(FollowUp.id))
    return [FollowUpRow(f, handle, incident.ref) for f, handle in db.execute(query)]


def row_of(*, db: Session, followup: FollowUp) -> FollowUpRow:
    owner = db.get(User, followup.owner_id) if followup.owner_id else None
    incident = incidents.get_incident(db=db, ref=followup.incident_id)
    return FollowUpRow(followup, owner.handle if owner else None, incident.ref)


def overdue(*, db: Session, actor: Actor, today: date, team: str = "") -> list[FollowUpRow]:
    """Open follow-ups past their due date, oldest due first; with ``team``, those owned by its members."""
    query = (sa.select(FollowUp, User.handle, Incident)
             .join(Incident, Incident.id == FollowUp.incident_id)
             .outerjoin(User, User.id == FollowUp.owner_id)
             .where(FollowUp.status == FollowUpStatus.open, FollowUp.due_on < today, visibility.visible_to(actor))
             .order_by(FollowUp.due_on, FollowUp.id).limit(500))
    if team.strip():
        found = accounts.find_team(db=db, name=team.strip())
        if found is None:
            raise NotFound(f"No team '{team.strip()}'.", field="team")
        members = sa.select(Membership.user_id).join(Team, Team.id == Membership.team_id).where(Team.id == found.id)
        query = query.where(FollowUp.owner_id.in_(members))
    return [FollowUpRow(f, handle, incident.ref) for f, handle, incident in db.execute(query)]
