"""Import every model so metadata (and Alembic) sees all tables."""

from warroom.accounts.models import ApiToken, Membership, Team, User, WebSession
from warroom.announcement_days.models import AnnouncementDay, AnnouncementDayIncident
from warroom.announcements.models import Announcement
from warroom.audit.models import AuditEntry
from warroom.chat.models import ChatEvent, ChatMessageLink, ChatPerson, ChatRoom
from warroom.checklists.models import ChecklistItem
from warroom.db.generation import Generation
from warroom.engine.models import Job
from warroom.followups.models import FollowUp, GithubDelivery
from warroom.importers.source_ids import SourceId
from warroom.incidents.models import Incident, IncidentParticipant
from warroom.insights.models import (
    InsightWeek,
    InsightWeekChange,
    InsightWeekFollowUps,
    InsightWeekService,
    InsightWeekSeverity,
    InsightWeekStatus,
    StatusPeriod,
)
from warroom.integrations.matrix.models import MatrixSyncPosition
from warroom.notifications.models import ContactMethod, Notification, NotificationRule
from warroom.oncall.alerts.models import Alert, AlertEvent, AlertRequest
from warroom.oncall.changes.models import ChangeEvent
from warroom.oncall.escalation.models import EscalationPolicy, EscalationStep
from warroom.oncall.heartbeats.models import Heartbeat
from warroom.oncall.keys.models import IntegrationKey
from warroom.oncall.schedules.models import Schedule, ScheduleLayer, ScheduleOverride
from warroom.playbooks.models import IncidentPlaybook, Playbook
from warroom.postmortems.models import Postmortem, PostmortemComment, PostmortemTemplate
from warroom.related_issues.models import RelatedGithubIssue
from warroom.reports.models import Report
from warroom.retrospectives.models import Retrospective, RetrospectiveAttendee
from warroom.roles.models import RoleAssignment
from warroom.sso.models import ExternalIdentity
from warroom.statuspage import models as statuspage_models  # noqa: F401  (status page tables)
from warroom.throttles.models import ThrottleCount, ThrottleHit, UsedFormToken
from warroom.timeline.models import TimelineEntry

__all__ = [
    "Alert",
    "AlertEvent",
    "AlertRequest",
    "Announcement",
    "AnnouncementDay",
    "AnnouncementDayIncident",
    "ApiToken",
    "AuditEntry",
    "ChangeEvent",
    "ChatEvent",
    "ChatMessageLink",
    "ChatPerson",
    "ChatRoom",
    "ChecklistItem",
    "ContactMethod",
    "EscalationPolicy",
    "EscalationStep",
    "ExternalIdentity",
    "FollowUp",
    "Generation",
    "GithubDelivery",
    "Heartbeat",
    "Incident",
    "IncidentParticipant",
    "IncidentPlaybook",
    "InsightWeek",
    "InsightWeekChange",
    "InsightWeekFollowUps",
    "InsightWeekService",
    "InsightWeekSeverity",
    "InsightWeekStatus",
    "IntegrationKey",
    "Job",
    "MatrixSyncPosition",
    "Membership",
    "Notification",
    "NotificationRule",
    "Playbook",
    "Postmortem",
    "PostmortemComment",
    "PostmortemTemplate",
    "RelatedGithubIssue",
    "Report",
    "Retrospective",
    "RetrospectiveAttendee",
    "RoleAssignment",
    "Schedule",
    "ScheduleLayer",
    "ScheduleOverride",
    "SourceId",
    "StatusPeriod",
    "Team",
    "ThrottleCount",
    "ThrottleHit",
    "TimelineEntry",
    "UsedFormToken",
    "User",
    "WebSession",
]
