"""Who may see an incident: everyone signed in, unless it is a private security incident.

The handbook routes security incidents to the security team. Flagging an incident as security makes it
private: only its participants, the security team and admins see it. The rule is written here once, as
a SQL condition on the incident row (``visible_to``), so the room, the lists, search, the dashboard
figures and the announcements feed all apply the same rule; checking one incident runs that same
condition against its row. Anyone else is told the incident does not exist (404, never 403), and the
feed shows them a redacted line.

Participants: the reporter, anyone holding a role, anyone who wrote in the room, anyone paged into it
(notified of one of its alerts: acknowledging, closing or reassigning an alert is not joining), and anyone
added by name (``IncidentParticipant``: invited by a participant, or the security team's members when the
incident was flagged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, Membership, Team, User
from warroom.audit import service as audit
from warroom.core.actor import Actor
from warroom.core.errors import NotFound, PermissionDenied
from warroom.incidents.models import Incident, IncidentParticipant
from warroom.notifications.models import Notification
from warroom.oncall.alerts.models import Alert
from warroom.playbooks import service as playbooks
from warroom.playbooks.models import IncidentPlaybook, Playbook
from warroom.roles.models import RoleAssignment
from warroom.timeline import service as timeline
from warroom.timeline.models import EntryKind, TimelineEntry

SECURITY_TEAM = "security"
SECURITY_PLAYBOOK = "security-disclosure"
INVITED = "invited"
BY_SECURITY_TEAM = "security team"
PRIVATE_NOTE = "Private security incident: only its participants, the security team and admins can see it."

_REDACTED_VERBS = {"declared": "was declared", "resolved": "was resolved", "closed": "was closed"}


# The rule --------------------------------------------------------------------------------------------


def is_private(incident: Incident) -> bool:
    return incident.security


def _privileged(user_id: int) -> sa.ColumnElement[bool]:
    """Admins (by their account, whatever their token's scope) and the security team see every incident."""
    is_admin = sa.exists().where(User.id == user_id, User.access_role == AccessRole.admin)
    in_security_team = sa.exists().where(Membership.user_id == user_id, Membership.team_id == Team.id,
                                         Team.slug == SECURITY_TEAM)
    return sa.or_(is_admin, in_security_team)


def _participant(user_id: int) -> sa.ColumnElement[bool]:
    """The person takes part in the incident of the row being filtered."""
    # Paged: notified of one of its alerts (the page was addressed to them). Acting on an alert (acknowledging,
    # closing, reassigning it) is not joining its incident.
    paged = sa.exists().where(
        Alert.incident_id == Incident.id,
        sa.exists().where(Notification.alert_id == Alert.id, Notification.user_id == user_id),
    )
    return sa.or_(
        Incident.reporter_id == user_id,
        sa.exists().where(RoleAssignment.incident_id == Incident.id, RoleAssignment.user_id == user_id),
        sa.exists().where(IncidentParticipant.incident_id == Incident.id, IncidentParticipant.user_id == user_id),
        sa.exists().where(TimelineEntry.incident_id == Incident.id, TimelineEntry.actor_id == user_id),
        paged,
    )


def visible_to(actor: Actor) -> sa.ColumnElement[bool]:
    """The condition on ``Incident`` rows this actor may see; every list, count and feed query applies it."""
    if actor.user_id is None or actor.is_admin:
        return sa.true()
    return sa.or_(sa.not_(Incident.security), _privileged(actor.user_id), _participant(actor.user_id))


def can_see(*, db: Session, actor: Actor, incident: Incident) -> bool:
    """Public incidents cost no query; a private one runs the same condition the lists use, on its row."""
    if not is_private(incident) or actor.user_id is None or actor.is_admin:
        return True
    found = db.scalar(sa.select(Incident.id).where(Incident.id == incident.id, visible_to(actor)))
    return found is not None


def require_visible(*, db: Session, actor: Actor, incident: Incident, ref: str | int | None = None) -> None:
    """Raise exactly what a missing incident raises, so a private incident's existence does not leak."""
    if not can_see(db=db, actor=actor, incident=incident):
        raise NotFound(f"No incident {incident.ref if ref is None else ref}.", field="incident")


def takes_part(*, db: Session, user_id: int, incident_id: int) -> bool:
    """A participant of the incident (not merely someone allowed to see it)."""
    found = db.scalar(sa.select(Incident.id).where(Incident.id == incident_id, _participant(user_id)))
    return found is not None


def redacted_line(kind: str, ref: str) -> str:
    """What the feed and outbound announcements say about a private incident to those who may not see it."""
    return f"A private security incident {_REDACTED_VERBS.get(kind, 'was updated')} ({ref})"


# Who takes part --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    handle: str
    name: str
    why: str  # reporter, a role name, invited, security team
    added_at: datetime | None


def list_participants(*, db: Session, incident: Incident) -> list[Participant]:
    """The reporter, the role holders and everyone added by name (room authors and paged people aside)."""
    people: dict[str, Participant] = {}
    if incident.reporter_id is not None:
        reporter = db.get(User, incident.reporter_id)
        if reporter is not None:
            people[reporter.handle] = Participant(reporter.handle, reporter.name, "reporter", incident.declared_at)
    roles = db.execute(sa.select(RoleAssignment, User).join(User, User.id == RoleAssignment.user_id)
                       .where(RoleAssignment.incident_id == incident.id).order_by(RoleAssignment.id))
    for assignment, user in roles:
        people.setdefault(user.handle, Participant(user.handle, user.name, assignment.role, assignment.assigned_at))
    added = db.execute(sa.select(IncidentParticipant, User).join(User, User.id == IncidentParticipant.user_id)
                       .where(IncidentParticipant.incident_id == incident.id).order_by(IncidentParticipant.added_at,
                                                                                       User.handle))
    for row, user in added:
        people.setdefault(user.handle, Participant(user.handle, user.name, row.reason, row.added_at))
    return list(people.values())


def add_participant(*, db: Session, actor: Actor, incident: Incident, user: User, reason: str) -> bool:
    """Add someone by name; False when they were already added."""
    if db.get(IncidentParticipant, (incident.id, user.id)) is not None:
        return False
    db.add(IncidentParticipant(incident_id=incident.id, user_id=user.id, reason=reason,
                               added_by_id=actor.user_id, added_at=actor.clock.now()))
    return True


# Flagging --------------------------------------------------------------------------------------------


def on_declared(*, db: Session, actor: Actor, incident: Incident) -> None:
    """Declare-time hook: a security incident is private from its first moment."""
    if incident.security:
        make_private(db=db, actor=actor, incident=incident)


def on_security_changed(*, db: Session, actor: Actor, incident: Incident) -> None:
    """The security flag just changed (details edit): make the incident private, or lift its privacy."""
    if incident.security:
        make_private(db=db, actor=actor, incident=incident)
        return
    if not actor.is_admin and not accounts.is_member(db=db, user_id=actor.user_id or 0, team_slug=SECURITY_TEAM):
        raise PermissionDenied(f"Only the {SECURITY_TEAM} team or an admin can lift the privacy of a security "
                               f"incident; {incident.ref} stays private.", field="security")
    timeline.add_entry(db=db, incident=incident, actor=Actor.system(actor.clock), kind=EntryKind.system,
                       body="No longer a private security incident: everyone who can see incidents can see it.")
    audit.record(db=db, actor=actor, action="incident.make_public", target_type="incident", target_id=incident.ref)


def make_private(*, db: Session, actor: Actor, incident: Incident) -> None:
    """Add the security team and attach the security-disclosure playbook; the flag itself makes it private."""
    system = Actor.system(actor.clock)
    team = accounts.find_team(db=db, name=SECURITY_TEAM)
    members = accounts.team_members(db=db, team=team) if team is not None else []
    added = [m.handle for m in members if add_participant(db=db, actor=actor, incident=incident, user=m,
                                                           reason=BY_SECURITY_TEAM)]
    if team is None:
        team_note = (f" There is no '{SECURITY_TEAM}' team yet: an admin creates it (on the Teams admin page) "
                     "so security incidents reach it.")
    elif members:
        team_note = f" Security team added: {', '.join('@' + m.handle for m in members)}."
    else:
        team_note = f" The {SECURITY_TEAM} team has no members yet: an admin adds them (on the Teams admin page)."
    timeline.add_entry(db=db, incident=incident, actor=system, kind=EntryKind.system,
                       body=PRIVATE_NOTE + team_note, private=True, security_team=added)
    attached = _attach_security_playbook(db, system, incident)
    audit.record(db=db, actor=actor, action="incident.make_private", target_type="incident", target_id=incident.ref,
                 security_team=added, playbook=attached)


def _attach_security_playbook(db: Session, system: Actor, incident: Incident) -> str | None:
    playbook = db.scalar(sa.select(Playbook).where(Playbook.slug == SECURITY_PLAYBOOK))
    if playbook is None:
        timeline.add_entry(db=db, incident=incident, actor=system, kind=EntryKind.system,
                           body=f"No '{SECURITY_PLAYBOOK}' playbook in this installation: follow the security "
                                "disclosure process, and add the playbook on the Playbooks page.")
        return None
    if db.get(IncidentPlaybook, (incident.id, playbook.id)) is None:
        playbooks.attach(db=db, incident=incident, actor=system, playbook=playbook)
    return playbook.slug
