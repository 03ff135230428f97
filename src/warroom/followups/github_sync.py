"""The engine handler that creates or reads a follow-up's GitHub issue, and the webhook that follows it back.

The call to GitHub happens outside any write transaction; the engine records the result afterwards. A GitHub
outage or rate limit leaves the job to retry (honouring Retry-After); an unknown repository, a refused token or
invalid input gives up at once, and the follow-up says why ("issue failed").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import Conflict, NotAuthenticated, ValidationFailed
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder, TransactionalHandler
from warroom.followups import service as followups
from warroom.followups.models import FollowUp, GithubDelivery, IssueLink
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.ports import Issue, IssueTracker

log = logging.getLogger("warroom.followups")


@dataclass(frozen=True)
class Request:
    followup_id: int
    repository: str
    number: int | None
    text: str
    incident_ref: str
    incident_title: str
    private: bool  # a private security incident: its title stays out of the issue


def _load(db: Session, followup_id: int) -> Request | None:
    row = db.execute(sa.select(FollowUp, Incident).join(Incident, Incident.id == FollowUp.incident_id)
                     .where(FollowUp.id == followup_id)).one_or_none()
    if row is None:
        return None
    followup, incident = row
    if followup.issue_link is not IssueLink.pending or not followup.github_repo:
        return None
    return Request(followup.id, followup.github_repo, followup.github_number, followup.text, incident.ref,
                   incident.title, visibility.is_private(incident))


def issue_marker(request: Request, base_url: str) -> str:
    """An invisible line naming this follow-up of this Warroom, so a retry finds the issue an attempt made."""
    digest = hashlib.sha256(f"{base_url.rstrip('/')}|{request.followup_id}".encode()).hexdigest()[:24]
    return f"<!-- warroom-followup {digest} -->"


def issue_body(request: Request, base_url: str) -> str:
    link = f"{base_url.rstrip('/')}/incidents/{request.incident_ref}"
    name = request.incident_ref if request.private else f"{request.incident_ref}: {request.incident_title}"
    return (f"{request.text}\n\n---\nFollow-up #{request.followup_id} of incident "
            f"[{name}]({link}), tracked in Warroom. "
            "Closing this issue marks the follow-up done; reopening it reopens the follow-up.\n"
            + issue_marker(request, base_url))


def make_handler(settings: Settings, clock: Clock, github: IssueTracker) -> Handler:

    def handle(db: Session, job: Job) -> Recorder | None:
        followup_id = int(job.payload["followup_id"])
        request = _load(db, followup_id)
        if request is None:
            return None  # removed, or attached meanwhile: nothing to do
        created = job.payload.get("mode") == "create"
        labels = [str(x) for x in job.payload.get("labels", [])]
        issue = _call(github, request, settings.base_url, labels, retried=job.attempts > 1)

        def record(session: Session) -> None:
            followups.record_issue(db=session, actor=Actor.system(clock), followup_id=followup_id,
                                   number=issue.number, url=issue.url, state=issue.state, created=created)

        return record

    return handle


def _call(github: IssueTracker, request: Request, base_url: str, labels: list[str], *, retried: bool) -> Issue:
    if request.number is not None:
        return github.get_issue(repository=request.repository, number=request.number)
    if retried:
        # An earlier attempt may have created the issue and lost GitHub's answer (a time-out, a 502): use it.
        made = github.find_issue(repository=request.repository, marker=issue_marker(request, base_url))
        if made is not None:
            return made
    title = f"[{request.incident_ref}] {request.text}"
    if len(title) > 250:
        title = title[:249] + "…"
    return github.create_issue(repository=request.repository, title=title, body=issue_body(request, base_url),
                               labels=labels)


def make_failure_handler(clock: Clock) -> TransactionalHandler:
    """The job gave up: the follow-up says the issue failed, with GitHub's reason."""

    def on_dead(db: Session, job: Job) -> None:
        stored = db.get(Job, job.id)
        error = stored.last_error if stored is not None else "gave up"
        followups.record_issue_failure(db=db, actor=Actor.system(clock), followup_id=int(job.payload["followup_id"]),
                                       error=error)

    return on_dead


# The webhook ---------------------------------------------------------------------------------------------


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    if not secret:
        raise NotAuthenticated("GitHub webhooks are off here: set WARROOM_GITHUB_WEBHOOK_SECRET.")
    if not header:
        raise NotAuthenticated("Unsigned delivery: X-Hub-Signature-256 is missing.")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().encode()):
        raise NotAuthenticated("X-Hub-Signature-256 does not match this body and the configured secret.")


@dataclass(frozen=True)
class WebhookResult:
    status: str  # handled, ignored, pong
    detail: str
    changed: int = 0


def handle_delivery(*, db: Session, clock: Clock, delivery_id: str, event: str,
                    payload: dict[str, Any]) -> WebhookResult:
    """Record the delivery (refusing a replay), then act on ``issues`` closed/reopened."""
    if not delivery_id.strip() or len(delivery_id) > 100:
        raise ValidationFailed("X-GitHub-Delivery is missing or longer than 100 characters.", field="delivery")
    if not event.strip() or len(event) > 64:
        raise ValidationFailed("X-GitHub-Event is missing or too long.", field="event")
    try:
        with db.begin_nested():
            db.add(GithubDelivery(delivery_id=delivery_id.strip(), event=event.strip(), received_at=clock.now()))
    except IntegrityError:
        raise Conflict(f"Delivery {delivery_id.strip()} was already handled; a replay changes nothing.") from None
    if event == "ping":
        return WebhookResult("pong", "GitHub's ping received.")
    if event != "issues":
        return WebhookResult("ignored", f"'{event}' events are not used.")
    action = payload.get("action")
    issue = payload.get("issue")
    repository = payload.get("repository")
    if action not in ("closed", "reopened"):
        return WebhookResult("ignored", f"Issue action '{action}' is not used.")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        raise ValidationFailed("An issues event needs 'issue' and 'repository' objects.", field="body")
    number = issue.get("number")
    full_name = repository.get("full_name")
    if not isinstance(number, int) or isinstance(number, bool) or not isinstance(full_name, str):
        raise ValidationFailed("An issues event needs issue.number (a number) and repository.full_name.",
                               field="body")
    github = Actor(None, "github", AccessRole.admin, "github", clock)
    changed = followups.issue_state_changed(db=db, actor=github, repository=full_name, number=number,
                                            closed=action == "closed")
    if not changed:
        return WebhookResult("ignored", f"No follow-up attached to {full_name}#{number} needed a change.")
    return WebhookResult("handled", f"{changed} follow-up(s) {action} with {full_name}#{number}.", changed)
