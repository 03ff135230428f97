"""Reports on the wire: the inbox, one report, and what triage accepts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from warroom.incidents.schemas import OutcomeOut
from warroom.reports.models import Report, ReportStatus


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeclareFromReportIn(Input):
    severity: str = Field(description="critical or major.", examples=["major"])
    title: str = Field("", description="The incident's title; the report's summary when empty.")
    customer_impact: bool = True
    security: bool = False
    suspected: bool = Field(True, description="Not yet confirmed; declared to be safe.")


class DismissIn(Input):
    reason: str = Field(description="Why it is not an incident; kept with the report.",
                        examples=["Their own network was down; service fine"])


class ReportOut(BaseModel):
    ref: str
    status: ReportStatus
    source: Literal["form", "email"]
    reporter_name: str
    reporter_email: str
    summary: str
    description: str
    affected_service: str
    received_at: datetime
    acknowledged_at: datetime | None
    acknowledgement_sent_at: datetime | None
    decided_at: datetime | None
    dismiss_reason: str
    incident: str | None = Field(description="The incident declared from it (INC-…), if any.")
    url: str

    @classmethod
    def of(cls, report: Report, base_url: str) -> ReportOut:
        return cls(
            ref=report.ref, status=report.status, source=report.source.value, reporter_name=report.reporter_name,
            reporter_email=report.reporter_email, summary=report.summary, description=report.description,
            affected_service=report.affected_service, received_at=report.received_at,
            acknowledged_at=report.acknowledged_at, acknowledgement_sent_at=report.acknowledgement_sent_at,
            decided_at=report.decided_at, dismiss_reason=report.dismiss_reason,
            incident=f"INC-{report.incident_id}" if report.incident_id else None,
            url=f"{base_url.rstrip('/')}/reports/{report.ref}",
        )


class ReportCounts(BaseModel):
    new: int
    acknowledged: int
    declared: int
    dismissed: int = Field(description="Dismissed as not an incident: the false positives, counted.")

    @classmethod
    def of(cls, counts: dict[ReportStatus, int]) -> ReportCounts:
        return cls(new=counts[ReportStatus.new], acknowledged=counts[ReportStatus.acknowledged],
                   declared=counts[ReportStatus.declared], dismissed=counts[ReportStatus.dismissed])


class ReportPage(BaseModel):
    items: list[ReportOut]
    total: int
    limit: int
    offset: int
    counts: ReportCounts


class DeclaredOut(BaseModel):
    report: ReportOut
    incident: OutcomeOut


class InboundOut(BaseModel):
    report: str
    created: bool = Field(description="False when this Message-ID was received before (a retry).")
