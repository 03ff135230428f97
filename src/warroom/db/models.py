"""Import every model so metadata (and Alembic) sees all tables."""

from warroom.accounts.models import ApiToken, Membership, Team, User, WebSession
from warroom.announcements.models import Announcement
from warroom.audit.models import AuditEntry
from warroom.checklists.models import ChecklistItem
from warroom.engine.models import Job
from warroom.incidents.models import Incident
from warroom.playbooks.models import IncidentPlaybook, Playbook
from warroom.roles.models import RoleAssignment
from warroom.timeline.models import TimelineEntry

__all__ = [
    "Announcement",
    "ApiToken",
    "AuditEntry",
    "ChecklistItem",
    "Incident",
    "IncidentPlaybook",
    "Job",
    "Membership",
    "Playbook",
    "RoleAssignment",
    "Team",
    "TimelineEntry",
    "User",
    "WebSession",
]
