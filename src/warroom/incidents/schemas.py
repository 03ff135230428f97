"""The incident's shapes on the wire: what the API accepts and what it answers.

Inputs forbid unknown fields, so a typo is a clear 422 instead of a silently ignored value.
Severity, status and role stay plain strings here: the flows parse them and say what went
wrong in the handbook's words (a "minor" severity is sent to the normal support process).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.checklists.models import ChecklistItem
from warroom.dashboard.service import Figures, Headline
from warroom.incidents.flows import Outcome
from warroom.incidents.models import Incident
from warroom.timeline.service import EntryView


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Inputs -----------------------------------------------------------------------------------------------


class DeclareIn(Input):
    title: str = Field(description="What is wrong, in one line.", examples=["Search is down"])
    severity: str = Field(description="critical or major (minor issues go through the normal support process).",
                          examples=["critical"])
    description: str = ""
    customer_impact: bool = False
    security: bool = False
    suspected: bool = Field(False, description="Not yet confirmed; declared to be safe.")
    affected_services: list[str] = Field(default_factory=list, examples=[["search"]])
    external_reporter: str = Field("", description="Who outside the company reported it, if anyone.")


class DetailsIn(Input):
    """Only the fields sent change; null or absent means "leave as is"."""

    title: str | None = None
    description: str | None = None
    customer_impact: bool | None = None
    security: bool | None = None
    suspected: bool | None = None
    affected_services: list[str] | None = None
    external_reporter: str | None = None


class MessageIn(Input):
    text: str


class RoleIn(Input):
    role: str = Field(description="lead, messenger, or any role name such as scribe.", examples=["lead"])
    user: str = Field(description="@handle or email.", examples=["@bob"])


class AcknowledgeIn(Input):
    role: str = Field("lead", description="The role being acknowledged (default: lead).")


class StatusIn(Input):
    status: str = Field(examples=["identified"],
                        description="investigating, identified, monitoring, resolved or closed.")
    text: str = ""


class SummaryIn(Input):
    summary: str


class UpdateIn(Input):
    kind: Literal["update", "plan", "tried"] = Field(
        "update", description="update: free text; plan: “I plan to …”; tried: “We tried … which resulted in …”.")
    text: str
    result: str = Field("", description="For kind=tried: what trying it resulted in.")


class SeverityIn(Input):
    severity: str = Field(examples=["major"], description="critical or major.")


class ResolveIn(Input):
    false_positive: bool = False
    text: str = ""


class CloseIn(Input):
    reason: str | None = Field(None, description="Admins only: why close with required steps still open.")
    false_positive: bool = Field(False, description="Close as a false positive (resolving it first if need be): "
                                 "the postmortem, follow-up and GitHub steps it does not need are skipped with "
                                 "`why`. The incident lead (any responder while there is none) or an admin.")
    why: str = Field("", description="With false_positive: why it was not an incident; kept on the timeline.")


class ChecklistIn(Input):
    state: Literal["done", "skipped", "open"]
    note: str = Field("", description="Required when skipping: why the step does not apply.")


class AttachPlaybookIn(Input):
    slug: str


class InviteIn(Input):
    user: str = Field(description="@handle or email of the person to add.", examples=["@erin"])


class CommandIn(Input):
    text: str = Field(examples=["/incident lead @bob"])
    incident: str | None = Field(None, description="The room the command is typed in, e.g. INC-42.")


# Outputs ----------------------------------------------------------------------------------------------


class IncidentOut(BaseModel):
    id: int
    ref: str
    title: str
    description: str
    summary: str
    severity: str
    status: str
    customer_impact: bool
    security: bool
    suspected: bool
    affected_services: list[str]
    external_reporter: str
    resolution: str | None
    is_false_positive: bool
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    archived_at: datetime | None
    lead: str | None = Field(description="The incident lead's handle.")
    url: str

    @classmethod
    def of(cls, incident: Incident, *, lead: str | None, base_url: str) -> IncidentOut:
        return cls(**_incident_fields(incident, lead=lead, base_url=base_url))


def _incident_fields(incident: Incident, *, lead: str | None, base_url: str) -> dict[str, Any]:
    return {
        "id": incident.id,
        "ref": incident.ref,
        "title": incident.title,
        "description": incident.description,
        "summary": incident.summary,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "customer_impact": incident.customer_impact,
        "security": incident.security,
        "suspected": incident.suspected,
        "affected_services": list(incident.affected_services),
        "external_reporter": incident.external_reporter,
        "resolution": incident.resolution.value if incident.resolution else None,
        "is_false_positive": incident.is_false_positive,
        "declared_at": incident.declared_at,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "archived_at": incident.archived_at,
        "lead": lead,
        "url": incident_url(base_url, incident.ref),
    }


def incident_url(base_url: str, ref: str) -> str:
    return f"{base_url.rstrip('/')}/incidents/{ref}"


class RoleOut(BaseModel):
    role: str
    user: str
    assigned_at: datetime
    acknowledged_at: datetime | None


class ChecklistItemOut(BaseModel):
    key: str
    label: str
    phase: str
    required: bool
    state: str
    note: str
    done_by: str | None = Field(description="Handle of who ticked or skipped it.")
    done_at: datetime | None

    @classmethod
    def of(cls, item: ChecklistItem, *, done_by: str | None) -> ChecklistItemOut:
        return cls(key=item.key, label=item.label, phase=item.phase.value, required=item.required,
                   state=item.state.value, note=item.note, done_by=done_by, done_at=item.done_at)


class IncidentDetailOut(IncidentOut):
    roles: list[RoleOut]
    checklist: list[ChecklistItemOut]
    playbooks: list[str] = Field(description="Slugs of the attached playbooks.")

    @classmethod
    def of_detail(
        cls,
        incident: Incident,
        *,
        lead: str | None,
        base_url: str,
        roles: list[RoleOut],
        checklist: list[ChecklistItemOut],
        playbooks: list[str],
    ) -> IncidentDetailOut:
        return cls(**_incident_fields(incident, lead=lead, base_url=base_url), roles=roles, checklist=checklist,
                   playbooks=playbooks)


class ParticipantOut(BaseModel):
    user: str = Field(description="The person's handle.")
    name: str
    why: str = Field(description="reporter, a role name, invited, or security team.")
    added_at: datetime | None


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class OutcomeOut(BaseModel):
    message: str
    incident: IncidentOut
    warnings: list[str]
    data: dict[str, Any]

    @classmethod
    def of(cls, outcome: Outcome, *, lead: str | None, base_url: str) -> OutcomeOut:
        return cls(message=outcome.message, incident=IncidentOut.of(outcome.incident, lead=lead, base_url=base_url),
                   warnings=list(outcome.warnings), data=dict(outcome.data))


class EntryOut(BaseModel):
    id: int
    kind: str
    body: str
    data: dict[str, Any]
    pinned: bool
    created_at: datetime
    actor: str | None = Field(description="Handle of who did it; null for Warroom itself.")

    @classmethod
    def of(cls, entry: EntryView) -> EntryOut:
        return cls(id=entry.id, kind=entry.kind.value, body=entry.body, data=dict(entry.data), pinned=entry.pinned,
                   created_at=entry.created_at, actor=entry.actor_handle)


class TimelinePage(BaseModel):
    items: list[EntryOut]
    has_more: bool = Field(description="More entries lie beyond this page in the direction asked for.")


class CommandOut(BaseModel):
    message: str
    incident: str | None = Field(description="The reference of the incident the command acted on.")
    warnings: list[str]
    data: dict[str, Any]


class AnnouncementOut(BaseModel):
    id: int
    incident: str
    kind: str
    text: str
    redacted: bool = Field(False, description="A private security incident's line, as shown to non-participants.")
    created_at: datetime
    url: str


class AnnouncementPage(BaseModel):
    items: list[AnnouncementOut]
    has_more: bool


class FiguresOut(BaseModel):
    window_days: int
    severity: str = Field(description="'all' or a severity.")
    declared: int
    false_positives: int
    mtta_seconds: float | None = Field(description="Mean time from declared to the lead's acknowledgement.")
    mttr_seconds: float | None = Field(description="Mean time from declared to resolved.")

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        return cls(window_days=figures.window_days, severity=figures.severity, declared=figures.declared,
                   false_positives=figures.false_positives, mtta_seconds=figures.mtta_seconds,
                   mttr_seconds=figures.mttr_seconds)


class HeadlineOut(BaseModel):
    open_now: int
    open_by_severity: dict[str, int]
    figures: list[FiguresOut]

    @classmethod
    def of(cls, headline: Headline) -> HeadlineOut:
        return cls(open_now=headline.open_now, open_by_severity=dict(headline.open_by_severity),
                   figures=[FiguresOut.of(f) for f in headline.figures])
