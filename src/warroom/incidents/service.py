"""Incident queries and small state helpers. Takes a session; commits nothing."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.core.errors import NotFound, ValidationFailed
from warroom.incidents.models import Incident, Severity, Status

REF_RE = re.compile(r"^(?:inc-?)?(\d{1,12})$", re.IGNORECASE)
MINOR_WORDS = {"minor", "low", "sev2", "sev-2", "severity2", "2", "p3", "p4", "p5", "warning", "info"}
MINOR_MESSAGE = (
    "Minor issues (severity 2 in our SLAs) don't use the incident workflow: they go through the normal "
    "support/feedback process. Declare an incident only for critical or major impact."
)
MAX_TITLE = 200
MAX_ID = 2**31 - 1


def parse_ref(ref: str | int) -> int:
    if isinstance(ref, int):
        if not 0 < ref <= MAX_ID:
            raise NotFound(f"No incident {ref}.", field="incident")
        return ref
    match = REF_RE.match(ref.strip())
    if match is None:
        raise NotFound(f"'{ref}' is not an incident reference; use INC-42 or 42.", field="incident")
    if int(match.group(1)) > MAX_ID:
        raise NotFound(f"No incident {ref.strip()}.", field="incident")
    return int(match.group(1))


def get_incident(*, db: Session, ref: str | int) -> Incident:
    incident = db.get(Incident, parse_ref(ref))
    if incident is None:
        raise NotFound(f"No incident {ref}.", field="incident")
    return incident


_LOCK_INCIDENT = (sa.select(Incident).where(Incident.id == sa.bindparam("incident_id")).with_for_update()
                  .execution_options(populate_existing=True))


def lock_incident(*, db: Session, ref: str | int) -> Incident:
    """Load the incident holding its row lock, so concurrent changes to it run one after the other."""
    incident_id = parse_ref(ref)
    incident = db.scalar(_LOCK_INCIDENT, {"incident_id": incident_id})
    if incident is None:
        raise NotFound(f"No incident {ref}.", field="incident")
    return incident


def parse_severity(value: str) -> Severity:
    text = value.strip().lower()
    if text in MINOR_WORDS:
        raise ValidationFailed(MINOR_MESSAGE, field="severity")
    try:
        return Severity(text)
    except ValueError:
        raise ValidationFailed(
            f"Unknown severity '{value}'. Choose critical (very high customer impact, e.g. a full outage "
            "or data breach) or major (significant impact, e.g. an important sub-system failing).",
            field="severity",
        ) from None


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Status)
        raise ValidationFailed(f"Unknown status '{value}'. Choose one of: {choices}.", field="status") from None


def clean_title(value: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise ValidationFailed("Describe the incident: the title cannot be empty.", field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"Keep the title under {MAX_TITLE} characters; put detail in the description.",
                               field="title")
    return title


def clean_services(values: list[str]) -> list[str]:
    services = sorted({v.strip().lower() for v in values if v.strip()})
    for service in services:
        if len(service) > 100 or not re.match(r"^[a-z0-9][a-z0-9._/-]*$", service):
            raise ValidationFailed(
                f"Service name '{service}' is not valid: use letters, digits, '.', '_', '/' or '-'.",
                field="affected_services")
    return services
