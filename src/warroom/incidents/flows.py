"""The handbook's incident steps. Each flow is one transaction's worth of work.

Every state change writes its timeline entry, its audit record and (where the handbook
announces it) its announcement in the caller's transaction; the transport commits.
A REST route, a web form, a CLI command and a chat command that do the same thing call
the same flow here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.announcement_days import service as announcement_days
from warroom.announcements import service as announcements
from warroom.audit import service as audit
from warroom.checklists import service as checklists
from warroom.checklists.models import ChecklistItem, ItemState
from warroom.core.actor import Actor
from warroom.core.errors import ChecklistIncomplete, Conflict, PermissionDenied, ValidationFailed
from warroom.followups.models import FollowUp
from warroom.incidents import service as incidents
from warroom.incidents import visibility
from warroom.incidents.models import Incident, Resolution, Status
from warroom.insights import periods
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import AlertStatus
from warroom.playbooks import service as playbooks
from warroom.related_issues import service as related_issues
from warroom.related_issues.models import RelatedGithubIssue
from warroom.roles import service as roles
from warroom.roles.models import LEAD, MESSENGER, RoleAssignment
from warroom.statuspage import flows as public_updates
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind, TimelineEntry

CUSTOMER_SUPPORT_TEAM = "customer-support"
SECURITY_TEAM = "security"
MAX_MESSAGE = 20_000


@dataclass
class Outcome:
    """What a flow did, for any transport to show: the incident, a line to say, warnings."""

    incident: Incident
    message: str
    warnings: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def _open_room(incident: Incident) -> None:
    if incident.is_archived:
        raise Conflict(f"{incident.ref} is closed and its room is archived (read-only).")


def _record(db: Session, actor: Actor, incident: Incident, action: str, **detail: Any) -> None:
    audit.record(db=db, actor=actor, action=action, target_type="incident", target_id=incident.ref, **detail)


def _lock_for_change(db: Session, actor: Actor, ref: str | int) -> Incident:
    actor.require(AccessRole.responder)
    incident = incidents.lock_incident(db=db, ref=ref)
    visibility.require_visible(db=db, actor=actor, incident=incident, ref=ref)
    _open_room(incident)
    return incident


def _text(value: str, what: str, limit: int = MAX_MESSAGE) -> str:
    text = value.strip()
    if not text:
        raise ValidationFailed(f"The {what} cannot be empty.", field=what)
    if len(text) > limit:
        raise ValidationFailed(f"The {what} is longer than {limit} characters.", field=what)
    return text


# Declare ---------------------------------------------------------------------------------------------


def declare_incident(
    *,
    db: Session,
    actor: Actor,
    title: str,
    severity: str,
    description: str = "",
    customer_impact: bool = False,
    security: bool = False,
    suspected: bool = False,
    affected_services: Sequence[str] = (),
    external_reporter: str = "",
) -> Outcome:
    actor.require(AccessRole.responder)
    level = incidents.parse_severity(severity)
    now = actor.clock.now()
    incident = Incident(
        title=incidents.clean_title(title),
        description=description.strip()[:MAX_MESSAGE],
        severity=level,
        status=Status.investigating,
        customer_impact=customer_impact,
        security=security,
        suspected=suspected,
        affected_services=incidents.clean_services(list(affected_services)),
        external_reporter=external_reporter.strip()[:254],
        reporter_id=actor.user_id,
        declared_at=now,
        updated_at=now,
        last_status_update_at=now,
    )
    db.add(incident)
    db.flush()
    periods.status_changed(db=db, incident=incident, after=Status.investigating, at=now)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.declared,
                       body=f"Declared {incident.ref}: {incident.title}", severity=level.value,
                       customer_impact=customer_impact, security=security, suspected=suspected,
                       affected_services=incident.affected_services)
    checklists.create_handbook_items(db=db, incident=incident, actor=actor)
    next_steps = _declare_guidance(db, actor, incident)
    announcements.announce(db=db, incident=incident, actor=actor, kind="declared",
                           text=f"New incident {announcements.headline(incident)} — investigating")
    announcement_days.loop_in_marketing(db=db, actor=actor, incident=incident)
    visibility.on_declared(db=db, actor=actor, incident=incident)
    _record(db, actor, incident, "incident.declare", severity=level.value, title=incident.title)
    suggestions = playbooks.suggest(db=db, services=incident.affected_services,
                                    text=f"{incident.title} {incident.description}")
    return Outcome(incident, f"Declared {incident.ref} ({level.value}): {incident.title}", [],
                   {"suggested_playbooks": [s.playbook.slug for s in suggestions], "next_steps": next_steps})


def _declare_guidance(db: Session, actor: Actor, incident: Incident) -> list[str]:
    """The handbook's reminders at declare time, posted in the room."""
    notes = []
    if incident.external_reporter:
        notes.append(f"Reported from outside by {incident.external_reporter}: acknowledge to them that the "
                     "incident is being handled.")
    if incident.security:
        notes.append("Security issue: loop in the security team and follow the security disclosure process.")
    if incident.customer_impact:
        notes.append("Customer impact: engage customer support for a messenger (/incident messenger @person).")
    notes.append("Next: identify the incident lead (/incident lead @engineer); the lead acknowledges with "
                 "/incident ack.")
    for note in notes:
        timeline.add_entry(db=db, incident=incident, actor=Actor.system(actor.clock), kind=EntryKind.system,
                           body=note)
    return notes


# Roles -----------------------------------------------------------------------------------------------


def assign_role(*, db: Session, actor: Actor, ref: str | int, role: str, who: str) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    role_name = roles.clean_role_name(role)
    person = accounts.find_person(db=db, who=who)
    label = roles.role_label(role_name)
    existing = roles.current(db=db, incident_id=incident.id, role=role_name)
    previous = accounts.get_user(db=db, user_id=existing.user_id) if existing else None
    now = actor.clock.now()
    if existing is None:
        db.add(RoleAssignment(incident_id=incident.id, role=role_name, user_id=person.id,
                              assigned_by_id=actor.user_id, assigned_at=now))
    elif existing.user_id != person.id:
        existing.user_id = person.id
        existing.assigned_by_id = actor.user_id
        existing.assigned_at = now
        existing.acknowledged_at = None
    was = f" (was @{previous.handle})" if previous and previous.id != person.id else ""
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.role_assigned,
                       body=f"@{person.handle} is the {label}{was}", role=role_name, user=person.handle,
                       previous=previous.handle if previous else None)
    warnings = _role_warnings(db, actor, incident, role_name, person)
    if role_name == LEAD:
        _on_lead_assigned(db, actor, incident, person, first=existing is None)
    elif role_name == MESSENGER:
        announcements.refresh(db=db, incident=incident, actor=actor)
    _record(db, actor, incident, "incident.assign_role", role=role_name, user=person.handle)
    return Outcome(incident, f"@{person.handle} is the {label} of {incident.ref}", warnings)


def _role_warnings(db: Session, actor: Actor, incident: Incident, role: str, person: User) -> list[str]:
    if role != MESSENGER:
        return []
    warnings = []
    if not incident.customer_impact:
        warnings.append("A messenger is only needed for incidents with customer-facing impact; "
                        f"{incident.ref} is not marked as customer impact.")
    if not accounts.is_member(db=db, user_id=person.id, team_slug=CUSTOMER_SUPPORT_TEAM):
        warnings.append(f"The messenger is always a member of customer support; @{person.handle} is not in "
                        f"the {CUSTOMER_SUPPORT_TEAM} team.")
    for warning in warnings:
        timeline.add_entry(db=db, incident=incident, actor=Actor.system(actor.clock),
                           kind=EntryKind.role_warning, body=warning, role=role)
    return warnings


def _on_lead_assigned(db: Session, actor: Actor, incident: Incident, lead: User, *, first: bool) -> None:
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.ROLES_IDENTIFIED)
    announcements.announce(db=db, incident=incident, actor=actor, kind="lead_assigned",
                           text=f"{incident.ref} incident lead: @{lead.handle}")
    reporter = accounts.get_user(db=db, user_id=incident.reporter_id) if incident.reporter_id else None
    if first and reporter is not None and reporter.id != lead.id:
        timeline.add_entry(db=db, incident=incident, actor=Actor.system(actor.clock), kind=EntryKind.system,
                           body=f"Thank you @{reporter.handle} for identifying this incident.",
                           thanked=reporter.handle)


def acknowledge(*, db: Session, actor: Actor, ref: str | int, role: str = LEAD) -> Outcome:
    """The role holder's "I'm on it": its own event, and the end of MTTA for the lead."""
    incident = _lock_for_change(db, actor, ref)
    role_name = roles.clean_role_name(role)
    assignment = roles.current(db=db, incident_id=incident.id, role=role_name)
    label = roles.role_label(role_name)
    if assignment is None:
        raise Conflict(f"{incident.ref} has no {label} yet. Take it with /incident {role_name} @{actor.handle}.")
    if assignment.user_id != actor.user_id:
        holder = accounts.get_user(db=db, user_id=assignment.user_id)
        name = holder.handle if holder else "someone else"
        raise PermissionDenied(f"Only the {label} (@{name}) acknowledges. To take over: "
                               f"/incident {role_name} @{actor.handle}.")
    now = actor.clock.now()
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = now
    if role_name == LEAD and incident.acknowledged_at is None:
        incident.acknowledged_at = now
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.role_acknowledged,
                       body="I'm on it", role=role_name)
    _record(db, actor, incident, "incident.acknowledge", role=role_name)
    return Outcome(incident, f"@{actor.handle} acknowledged the {label} role of {incident.ref}: I'm on it")


# Status, summary, updates, severity ------------------------------------------------------------------


def set_status(*, db: Session, actor: Actor, ref: str | int, status: str, text: str = "") -> Outcome:
    target = incidents.parse_status(status)
    if target is Status.resolved:
        return resolve_incident(db=db, actor=actor, ref=ref, text=text)
    if target is Status.closed:
        return close_incident(db=db, actor=actor, ref=ref, reason=text or None)
    incident = _lock_for_change(db, actor, ref)
    before = incident.status
    if before is target and not text.strip():
        return Outcome(incident, f"{incident.ref} is already {target.value}")
    if before is Status.resolved:
        incident.resolved_at = None
        incident.resolution = None
    incident.status = target
    incident.last_status_update_at = changed_at = actor.clock.now()
    periods.status_changed(db=db, incident=incident, after=target, at=changed_at)
    body = f"Status: {before.value} → {target.value}" + (f" — {text.strip()}" if text.strip() else "")
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.status_changed, body=body,
                       before=before.value, after=target.value, text=text.strip())
    if before is not target:
        announcements.announce(db=db, incident=incident, actor=actor, kind="status_changed",
                               text=f"{announcements.headline(incident)} — now {target.value}")
    _record(db, actor, incident, "incident.status", before=before.value, after=target.value)
    return Outcome(incident, f"{incident.ref} is now {target.value}")


UPDATE_KINDS = {
    "update": "{text}",
    "plan": "I plan to {text}",
    "tried": "We tried {text}, which resulted in {result}",
}


def post_update(
    *, db: Session, actor: Actor, ref: str | int, text: str, kind: str = "update", result: str = ""
) -> Outcome:
    """A structured status update: "I plan to…", "We tried … which resulted in …"."""
    if kind not in UPDATE_KINDS:
        raise ValidationFailed(f"Unknown update kind '{kind}'. Use one of: {', '.join(UPDATE_KINDS)}.",
                               field="kind")
    incident = _lock_for_change(db, actor, ref)
    body_text = _text(text, "update")
    if kind == "tried" and not result.strip():
        raise ValidationFailed("Say what trying it resulted in (--result …).", field="result")
    body = UPDATE_KINDS[kind].format(text=body_text.rstrip("."), result=result.strip())
    incident.last_status_update_at = actor.clock.now()
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.update, body=body,
                       update_kind=kind, text=body_text, result=result.strip())
    _record(db, actor, incident, "incident.update", kind=kind)
    return Outcome(incident, f"Update posted to {incident.ref}")


def set_summary(*, db: Session, actor: Actor, ref: str | int, summary: str) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    incident.summary = _text(summary, "summary")
    incident.last_status_update_at = actor.clock.now()
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.summary_changed,
                       body=f"Summary: {incident.summary}")
    announcements.refresh(db=db, incident=incident, actor=actor)
    _record(db, actor, incident, "incident.summary")
    return Outcome(incident, f"Summary of {incident.ref} updated")


def change_severity(*, db: Session, actor: Actor, ref: str | int, severity: str) -> Outcome:
    level = incidents.parse_severity(severity)
    incident = _lock_for_change(db, actor, ref)
    before = incident.severity
    if before is level:
        return Outcome(incident, f"{incident.ref} is already {level.value}")
    incident.severity = level
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.severity_changed,
                       body=f"Severity: {before.value} → {level.value}", before=before.value, after=level.value)
    announcements.announce(db=db, incident=incident, actor=actor, kind="severity_changed",
                           text=f"{announcements.headline(incident)} — severity {before.value} → {level.value}")
    _record(db, actor, incident, "incident.severity", before=before.value, after=level.value)
    return Outcome(incident, f"{incident.ref} is now {level.value}")


def update_details(
    *,
    db: Session,
    actor: Actor,
    ref: str | int,
    title: str | None = None,
    description: str | None = None,
    customer_impact: bool | None = None,
    security: bool | None = None,
    suspected: bool | None = None,
    affected_services: Sequence[str] | None = None,
    external_reporter: str | None = None,
) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    changes: dict[str, Any] = {}
    new_values: dict[str, Any] = {
        "title": incidents.clean_title(title) if title is not None else None,
        "description": description.strip()[:MAX_MESSAGE] if description is not None else None,
        "customer_impact": customer_impact,
        "security": security,
        "suspected": suspected,
        "affected_services": incidents.clean_services(list(affected_services))
        if affected_services is not None else None,
        "external_reporter": external_reporter.strip()[:254] if external_reporter is not None else None,
    }
    for name, value in new_values.items():
        if value is not None and getattr(incident, name) != value:
            changes[name] = value
            setattr(incident, name, value)
    if not changes:
        return Outcome(incident, f"No change to {incident.ref}")
    checklists.set_required(db=db, incident_id=incident.id, key=checklists.COMMS_CONFIRMED,
                            required=incident.customer_impact)
    checklists.set_required(db=db, incident_id=incident.id, key=checklists.ACKNOWLEDGE_REPORTER,
                            required=bool(incident.external_reporter))
    described = ", ".join(f"{k.replace('_', ' ')}: {_show(v)}" for k, v in changes.items())
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.details_changed,
                       body=f"Changed {described}", **{k: _show(v) for k, v in changes.items()})
    if changes.get("security") is True:
        timeline.add_entry(db=db, incident=incident, actor=Actor.system(actor.clock), kind=EntryKind.system,
                           body="Security issue: loop in the security team and follow the security "
                                "disclosure process.")
    if "security" in changes:
        visibility.on_security_changed(db=db, actor=actor, incident=incident)
    announcements.refresh(db=db, incident=incident, actor=actor)
    _record(db, actor, incident, "incident.details", **{k: _show(v) for k, v in changes.items()})
    return Outcome(incident, f"Updated {incident.ref}: {described}")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return str(value)


# Resolve and close -----------------------------------------------------------------------------------


def resolve_incident(
    *, db: Session, actor: Actor, ref: str | int, false_positive: bool = False, text: str = ""
) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    if incident.status is Status.resolved:
        raise Conflict(f"{incident.ref} is already resolved. Close it with /incident close.")
    now = actor.clock.now()
    before = incident.status
    incident.status = Status.resolved
    incident.resolution = Resolution.false_positive if false_positive else Resolution.fixed
    incident.resolved_at = now
    incident.last_status_update_at = now
    periods.status_changed(db=db, incident=incident, after=Status.resolved, at=now)
    kind = "as a false positive" if false_positive else ""
    body = " ".join(p for p in ("Resolved", kind) if p) + (f" — {text.strip()}" if text.strip() else "")
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.resolved, body=body,
                       before=before.value, resolution=incident.resolution.value, text=text.strip())
    note = " (false positive — thank you for reporting it)" if false_positive else ""
    announcements.announce(db=db, incident=incident, actor=actor, kind="resolved",
                           text=f"{announcements.headline(incident)} — resolved{note}")
    _record(db, actor, incident, "incident.resolve", resolution=incident.resolution.value)
    related_issues.on_resolved(db=db, incident=incident, now=now)
    stale = public_updates.stale_story(db=db, incident=incident)
    return Outcome(incident, f"{incident.ref} resolved{note}. Next: the post-resolution checklist, then "
                             "/incident close.", [stale] if stale else [])


def close_incident(*, db: Session, actor: Actor, ref: str | int, reason: str | None = None) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    if incident.status is not Status.resolved:
        raise Conflict(f"{incident.ref} is {incident.status.value}; resolve it first (/incident resolve).")
    items = checklists.list_items(db=db, incident_id=incident.id)
    missing = checklists.missing_for_close(items)
    stale = public_updates.stale_story(db=db, incident=incident)
    public = public_updates.what_customers_read(db=db, incident=incident) if stale else None
    keys = list(dict.fromkeys([i.key for i in missing] + ([checklists.COMMS_CONFIRMED] if stale else [])))
    override = (reason or "").strip()
    if keys and not override:
        raise ChecklistIncomplete(_why_not_closed(incident, missing, stale), missing=keys)
    if keys:
        if not actor.is_admin:
            raise PermissionDenied("Only an admin can close an incident with open required steps.")
        incident.close_override_reason = override
        timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                           body=f"Closed with open required steps ({', '.join(keys)}); "
                                f"reason: {override}" + (f". Customers still read {public}" if public else ""),
                           override=True, missing=keys)
    _close_pages(db, actor, incident)
    _close_and_archive(db, actor, incident, items)
    _record(db, actor, incident, "incident.close", override=bool(missing), reason=override)
    return Outcome(incident, f"{incident.ref} closed and its room archived")


# Closing a false positive ------------------------------------------------------------------------------

# The handbook asks of a false positive what it asks of any incident up to its close (report it, acknowledge the
# reporter, an incident lead, customers told the latest), and values that it was identified; a postmortem,
# follow-ups and the GitHub step are for incidents that happened. A related public GitHub issue someone linked, or
# follow-ups someone wrote, still get their step.
NOT_NEEDED_FOR_A_FALSE_POSITIVE = (checklists.GITHUB_ISSUES_UPDATED, checklists.POSTMORTEM_GENERATED,
                                   checklists.RETROSPECTIVE_SCHEDULED, checklists.FOLLOWUPS_CREATED)
MAX_WHY = 2000


def close_false_positive(
    *, db: Session, actor: Actor, ref: str | int, why: str, reason: str | None = None
) -> Outcome:
    """Resolve (if need be) and close as a false positive: the why is kept, the steps the handbook does not ask of a
    false positive are skipped with it, and the rest must be settled as for any close. The incident lead (any
    responder while there is none) or an admin closes it."""
    said = why.strip()
    if not said:
        raise ValidationFailed("Say why it was a false positive (e.g. 'the alert's threshold was wrong'): the "
                               "reason is kept on the timeline.", field="why")
    if len(said) > MAX_WHY:
        raise ValidationFailed(f"The reason is longer than {MAX_WHY} characters.", field="why")
    incident = _lock_for_change(db, actor, ref)
    _require_lead_or_admin(db, actor, incident)
    if incident.status is not Status.resolved:
        resolve_incident(db=db, actor=actor, ref=incident.id, false_positive=True, text=said)
    elif not incident.is_false_positive:
        incident.resolution = Resolution.false_positive
        timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.resolved,
                           body=f"Resolution: a false positive — {said}", resolution=incident.resolution.value,
                           text=said)
    skipped = _skip_what_a_false_positive_needs_not(db, actor, incident, said)
    closed = close_incident(db=db, actor=actor, ref=incident.id, reason=reason)
    _record(db, actor, incident, "incident.close_false_positive", why=said, skipped=skipped)
    not_needed = f" Not needed for a false positive: {', '.join(skipped)}." if skipped else ""
    return Outcome(incident, f"{incident.ref} closed as a false positive (thank you for reporting it) and its room "
                             f"archived.{not_needed}", closed.warnings, {"false_positive": True, "skipped": skipped})


def _require_lead_or_admin(db: Session, actor: Actor, incident: Incident) -> None:
    lead = roles.current(db=db, incident_id=incident.id, role=LEAD)
    if lead is None or lead.user_id == actor.user_id or actor.is_admin:
        return
    handle = roles.holder_handle(db=db, incident_id=incident.id, role=LEAD) or "someone else"
    raise PermissionDenied(f"Only the incident lead (@{handle}) or an admin closes {incident.ref} as a false "
                           f"positive. To take over: /incident lead @{actor.handle}.")


def _skip_what_a_false_positive_needs_not(db: Session, actor: Actor, incident: Incident, why: str) -> list[str]:
    kept = set()
    if db.scalar(sa.select(sa.func.count()).where(RelatedGithubIssue.incident_id == incident.id)):
        kept.add(checklists.GITHUB_ISSUES_UPDATED)
    if db.scalar(sa.select(sa.func.count()).where(FollowUp.incident_id == incident.id)):
        kept.add(checklists.FOLLOWUPS_CREATED)
    skipped = []
    for item in checklists.list_items(db=db, incident_id=incident.id):
        if item.key in NOT_NEEDED_FOR_A_FALSE_POSITIVE and item.key not in kept and not item.is_settled:
            checklists.set_item_state(db=db, incident=incident, actor=actor, key=item.key,
                                      state=ItemState.skipped, note=f"Not needed for a false positive: {why}")
            skipped.append(item.key)
    return skipped


def _why_not_closed(incident: Incident, missing: list[ChecklistItem], stale: str | None) -> str:
    reasons = []
    if missing:
        reasons.append("these required steps are open: " + "; ".join(f"{i.label} [{i.key}]" for i in missing)
                       + f". Tick or skip each by its key, e.g. /incident tick {incident.ref} {missing[0].key}")
    if stale:
        reasons.append(f"the status pages still tell customers it is in progress. {stale}")
    return (f"{incident.ref} cannot close yet; " + ". Also, ".join(reasons)
            + ". Or (admins) close with a written reason.")


PAGED_FROM_AN_INCIDENT = "genie"  # the source of an alert paged with /genie alert … (or the room's Page form)


def _close_pages(db: Session, actor: Actor, incident: Incident) -> None:
    """Pages sent from the incident stop paging when it closes: each open one is closed, and the room says so.
    Alerts a monitoring tool raised and someone attached stay as they are: their tool closes them."""
    still_open, _ = alerts.list_alerts(db=db, status=(AlertStatus.open, AlertStatus.acknowledged),
                                       incident_id=incident.id, limit=1000)
    pages = sorted((a for a in still_open if a.source == PAGED_FROM_AN_INCIDENT), key=lambda a: a.id)
    for alert in pages:
        alerts.close(db=db, actor=actor, alert_id=alert.id, note=f"{incident.ref} is closed")
    if pages:
        numbers = ", ".join(f"#{a.id}" for a in pages)
        timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.system,
                           body=f"Closed {'the page' if len(pages) == 1 else 'the pages'} still open "
                                f"(alert {numbers}): the incident is closed, so nobody is paged for it any more",
                           alert_ids=[a.id for a in pages])


def _close_and_archive(db: Session, actor: Actor, incident: Incident, items: list[ChecklistItem]) -> None:
    now = actor.clock.now()
    incident.status = Status.closed
    incident.closed_at = now
    periods.status_changed(db=db, incident=incident, after=Status.closed, at=now)
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.STATUS_CLOSED)
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.closed, body="Closed")
    announcements.announce(db=db, incident=incident, actor=actor, kind="closed",
                           text=f"{announcements.headline(incident)} — closed")
    checklists.tick_if_open(db=db, incident=incident, actor=actor, key=checklists.ROOM_ARCHIVED)
    incident.archived_at = now
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.archived,
                       body="Room archived: read-only from now on")


# The room --------------------------------------------------------------------------------------------


def post_message(*, db: Session, actor: Actor, ref: str | int, text: str) -> TimelineEntry:
    incident = _lock_for_change(db, actor, ref)
    entry = timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.message,
                               body=_text(text, "message"))
    _record(db, actor, incident, "incident.message")
    return entry


def pin_entry(*, db: Session, actor: Actor, ref: str | int, entry_id: int, pinned: bool = True) -> Outcome:
    """Mark a room message as a key event (for the postmortem's timeline)."""
    incident = _lock_for_change(db, actor, ref)
    entry = timeline.get_entry(db=db, incident_id=incident.id, entry_id=entry_id)
    if entry.pinned is pinned:
        return Outcome(incident, f"Entry #{entry_id} is already {'pinned' if pinned else 'not pinned'}")
    entry.pinned = pinned
    verb = "Pinned" if pinned else "Unpinned"
    excerpt = entry.body if len(entry.body) <= 80 else entry.body[:77] + "…"
    timeline.add_entry(db=db, incident=incident, actor=actor, kind=EntryKind.pinned,
                       body=f"{verb} as key event: “{excerpt}”", entry_id=entry_id, pinned=pinned)
    _record(db, actor, incident, "incident.pin", entry_id=entry_id, pinned=pinned)
    return Outcome(incident, f"{verb} entry #{entry_id}")


def set_checklist_item(
    *, db: Session, actor: Actor, ref: str | int, key: str, state: str, note: str = ""
) -> Outcome:
    try:
        item_state = ItemState(state)
    except ValueError:
        raise ValidationFailed("A checklist item is done, skipped or open.", field="state") from None
    incident = _lock_for_change(db, actor, ref)
    item = checklists.set_item_state(db=db, incident=incident, actor=actor, key=key, state=item_state,
                                     note=note)
    _record(db, actor, incident, "incident.checklist", key=key, state=item_state.value)
    return Outcome(incident, f"{item.label}: {item_state.value}")


def attach_playbook(*, db: Session, actor: Actor, ref: str | int, slug: str) -> Outcome:
    incident = _lock_for_change(db, actor, ref)
    playbook = playbooks.get_playbook(db=db, slug=slug)
    items = playbooks.attach(db=db, incident=incident, actor=actor, playbook=playbook)
    _record(db, actor, incident, "incident.attach_playbook", slug=playbook.slug)
    return Outcome(incident, f"Attached “{playbook.title}” to {incident.ref} ({len(items)} steps)")
