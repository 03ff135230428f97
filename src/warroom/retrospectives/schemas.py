"""Retrospectives on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.core.bounds import StrictInt
from warroom.retrospectives.service import DEFAULT_MINUTES, RetrospectiveView


class RetrospectiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: str = Field(description="ISO 8601; without an offset it is UTC.", examples=["2026-12-01T15:00"])
    minutes: StrictInt = Field(DEFAULT_MINUTES, description="How long, 5 to 480 minutes.")
    location: str = Field("", description="A room or a video link (optional).")
    agenda: str = Field("", description="Leave empty for the agenda built from the incident.")
    attendees: list[str] = Field(default_factory=list, description="@handles or email addresses to invite, besides "
                                 "the participants.", examples=[["@bob", "partner@example.com"]])
    include_participants: bool = Field(True, description="Invite the incident's participants too.")


class RetrospectivePatch(BaseModel):
    """Send only what changes; every change re-sends the invite with a higher SEQUENCE."""

    model_config = ConfigDict(extra="forbid")

    starts_at: str | None = None
    minutes: StrictInt | None = None
    location: str | None = None
    agenda: str | None = Field(None, description="An empty agenda goes back to the one built from the incident.")
    attendees: list[str] | None = Field(None, description="The new list of people to invite (replaces it).")
    include_participants: bool = True


class AttendeeOut(BaseModel):
    email: str
    name: str
    handle: str | None
    invite: str = Field(description="pending, sent, or what went wrong.")


class RetrospectiveOut(BaseModel):
    incident: str
    status: str = Field(description="scheduled or cancelled.")
    starts_at: datetime
    ends_at: datetime
    minutes: int
    location: str
    agenda: str
    organiser: str | None
    uid: str
    sequence: int
    attendees: list[AttendeeOut]
    ics_url: str

    @classmethod
    def of(cls, view: RetrospectiveView) -> RetrospectiveOut:
        r = view.retrospective
        attendees = [AttendeeOut(email=a.email, name=a.name,
                                 handle=view.handles.get(a.user_id) if a.user_id is not None else None,
                                 invite=a.note or ("sent" if a.sent_sequence == r.sequence else "pending"))
                     for a in view.attendees]
        return cls(incident=view.incident.ref, status=r.status.value, starts_at=r.starts_at, ends_at=view.ends_at,
                   minutes=r.duration_minutes, location=r.location, agenda=r.agenda,
                   organiser=view.organiser.handle if view.organiser else None, uid=r.uid, sequence=r.sequence,
                   attendees=attendees, ics_url=f"/api/v1/incidents/{view.incident.ref}/retrospective.ics")
