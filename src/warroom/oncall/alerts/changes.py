"""Changes to an alert beside its life cycle: tags, details, priority, owner, one more responder, deletion.

Takes a session; commits nothing. Each change writes its line in the alert's timeline and the audit log in the
same transaction. A responder added to an alert is paged at once through its own plan (a team's escalation
policy, a policy's first step, a person or a schedule), as a new alert's first step pages; the alert's later
steps then page it too, since it is one of the alert's responders.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.models import AccessRole, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import Conflict
from warroom.engine.models import Job, JobState
from warroom.live.broker import mark
from warroom.notifications import planning
from warroom.oncall.alerts import privacy, routing
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, AlertStatus, Priority
from warroom.oncall.escalation import service as escalation

MAX_TAG = 100
MAX_DETAILS = 100


def add_tags(*, db: Session, actor: Actor, alert_id: int, tags: list[str], note: str = "") -> Alert:
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    wanted = sorted(set(alert.tags) | {t.strip()[:MAX_TAG] for t in tags if t.strip()})
    if len(wanted) > alerts.MAX_TAGS:
        raise Conflict(f"Alert #{alert.id} would have {len(wanted)} tags; an alert has at most {alerts.MAX_TAGS}.")
    added = [t for t in wanted if t not in alert.tags]
    alert.tags = wanted
    return _changed(db, actor, alert, "tags_added", f"Tags added: {', '.join(added) or 'none new'}", note)


def remove_tags(*, db: Session, actor: Actor, alert_id: int, tags: list[str], note: str = "") -> Alert:
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    gone = {t.strip() for t in tags}
    removed = [t for t in alert.tags if t in gone]
    alert.tags = [t for t in alert.tags if t not in gone]
    return _changed(db, actor, alert, "tags_removed", f"Tags removed: {', '.join(removed) or 'none held'}", note)


def add_details(*, db: Session, actor: Actor, alert_id: int, details: dict[str, str], note: str = "") -> Alert:
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    merged = {**alert.details, **details}
    if len(merged) > MAX_DETAILS:
        raise Conflict(f"Alert #{alert.id} would have {len(merged)} details; an alert has at most {MAX_DETAILS}.")
    alert.details = merged
    return _changed(db, actor, alert, "details_added", f"Details set: {', '.join(sorted(details))}", note)


def remove_details(*, db: Session, actor: Actor, alert_id: int, keys: list[str], note: str = "") -> Alert:
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    removed = [k for k in keys if k in alert.details]
    alert.details = {k: v for k, v in alert.details.items() if k not in keys}
    return _changed(db, actor, alert, "details_removed", f"Details removed: {', '.join(removed) or 'none held'}",
                    note)


def set_priority(*, db: Session, actor: Actor, alert_id: int, priority: Priority) -> Alert:
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    before = alert.priority
    alert.priority = priority
    mark(db, alerts.ALERTS)
    return _changed(db, actor, alert, "priority", f"Priority {before.value} → {priority.value}", "")


def assign(*, db: Session, actor: Actor, alert_id: int, owner: User, note: str = "") -> Alert:
    """The alert's owner is this person from now on (paging is not changed: add them as a responder to page)."""
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    if alert.status is AlertStatus.closed:
        raise Conflict(f"Alert #{alert.id} is closed.")
    alert.owner_id = owner.id
    mark(db, alerts.ALERTS)
    return _changed(db, actor, alert, "assigned", f"Owner is now @{owner.handle}", note)


def add_responder(*, db: Session, actor: Actor, alert_id: int, responder: dict[str, Any], note: str = "") -> Alert:
    """Page one more responder ({"type": "team"|"user"|"schedule"|"escalation", "id": n}) for an open alert.

    Its first step is paged now; the alert keeps it as a responder, so the alert's next escalation steps page it
    too (its plan's step of the same number). One already a responder is not paged again.
    """
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    privacy.require_insider(db, actor, alert, "page someone new for it")
    if alert.status is AlertStatus.closed:
        raise Conflict(f"Alert #{alert.id} is closed.")
    target = {"type": str(responder["type"]), "id": int(responder["id"])}
    label = routing.label(db, responders=[target], escalation_policy_id=None, team_id=None)
    if target in alert.responders:
        return _changed(db, actor, alert, "responder_added", f"Already a responder: {label}", note,
                        responder=target)
    alert.responders = [*alert.responders, target]
    _changed(db, actor, alert, "responder_added", f"Responder added: {label}", note, responder=target)
    _page_now(db, actor, alert, target)
    return alert


def _page_now(db: Session, actor: Actor, alert: Alert, target: dict[str, Any]) -> None:
    """The added responder's first step, paged now (once per responder and escalation generation)."""
    now = actor.clock.now()
    steps, _ = escalation.plan_for(db, _Responding(alert.id, [target]))
    people = escalation.resolve_targets(db, steps[0].targets, now) if steps else []
    for person in people:
        planning.plan_notifications(db=db, alert=alert, user_id=person.id, now=now,
                                    key=f"{alert.id}-g{alert.escalation_generation}-add-{target['type']}"
                                        f"{target['id']}-u{person.id}")
    names = ", ".join(f"@{p.handle}" for p in people) or "nobody (no one on call)"
    alerts.record_event(db=db, actor=Actor.system(actor.clock), alert_id=alert.id, kind="escalated",
                        body=f"Added responder: paged {names}", step=alert.escalation_step,
                        round=alert.escalation_round, users=[p.handle for p in people])


class _Responding:
    """What escalation plans read, for one responder alone."""

    def __init__(self, alert_id: int, responders: list[dict[str, Any]]) -> None:
        self.id = alert_id
        self.responders = responders
        self.escalation_policy_id: int | None = None
        self.team_id: int | None = None


def delete(*, db: Session, actor: Actor, alert_id: int) -> int:
    """Remove an alert, its timeline and its pages still waiting; an alert of an incident is kept (close it)."""
    actor.require(AccessRole.responder)
    alert = alerts.lock_alert(db=db, alert_id=alert_id)
    if alert.incident_id is not None:
        raise Conflict(f"Alert #{alert.id} is part of an incident and stays in its record; close it instead.")
    escalation.stop(db=db, alert=alert, now=actor.clock.now())
    # Its escalation jobs would find no alert: they are done (their keys are esc-<alert id>-g…).
    db.execute(sa.update(Job).where(Job.kind == escalation.ESCALATE_JOB, Job.state == JobState.pending,
                                    Job.idempotency_key.like(f"esc-{alert.id}-g%"))
               .values(state=JobState.done).execution_options(synchronize_session=False))
    audit.record(db=db, actor=actor, action="alert.delete", target_type="alert", target_id=alert.id,
                 message=alert.message)
    deleted = alert.id
    db.delete(alert)
    mark(db, alerts.ALERTS)
    return deleted


def _changed(db: Session, actor: Actor, alert: Alert, kind: str, body: str, note: str, **data: Any) -> Alert:
    alert.updated_at = actor.clock.now()
    text = f"{body}: {note.strip()}" if note.strip() else body
    alerts.record_event(db=db, actor=actor, alert_id=alert.id, kind=kind, body=text, **data)
    audit.record(db=db, actor=actor, action=f"alert.{kind}", target_type="alert", target_id=alert.id)
    return alert
