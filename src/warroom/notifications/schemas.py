"""Contact methods, notification rules and delivery records on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.notifications.models import ContactKind, ContactMethod, DeliveryStatus
from warroom.notifications.service import MAX_DELAY_MINUTES, DeliveryView, RuleView


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContactMethodIn(Input):
    kind: ContactKind = Field(examples=["email"])
    address: str = Field(description="Email address, webhook URL, E.164 phone number (+14155550123) or chat "
                                     "handle, by kind.", examples=["bob@example.com"])
    label: str = Field("", examples=["work"])


class ContactMethodOut(BaseModel):
    id: int
    kind: ContactKind
    address: str
    label: str
    created_at: datetime

    @classmethod
    def of(cls, method: ContactMethod) -> ContactMethodOut:
        return cls(id=method.id, kind=method.kind, address=method.address, label=method.label,
                   created_at=method.created_at)


class RuleIn(Input):
    contact_method: int = Field(description="Id of one of the person's contact methods.")
    delay_minutes: int = Field(0, ge=0, le=MAX_DELAY_MINUTES,
                               description="Minutes after the page, if still unacknowledged; 0 = at once.")


class RuleOut(BaseModel):
    id: int
    contact_method: int
    kind: ContactKind
    address: str
    label: str
    delay_minutes: int
    description: str

    @classmethod
    def of(cls, rule: RuleView) -> RuleOut:
        return cls(id=rule.id, contact_method=rule.contact_method_id, kind=rule.kind, address=rule.address,
                   label=rule.label, delay_minutes=rule.delay_minutes, description=rule.description)


class DeliveryOut(BaseModel):
    """One notification on an alert: queued, sent, failed (with the reason) or cancelled."""

    id: int
    user: str
    kind: ContactKind
    status: DeliveryStatus
    attempts: int
    last_error: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    provider_status: str = ""

    @classmethod
    def of(cls, view: DeliveryView) -> DeliveryOut:
        return cls(id=view.id, user=view.user_handle, kind=view.kind, status=view.status, attempts=view.attempts,
                   last_error=view.last_error, created_at=view.created_at, due_at=view.due_at,
                   sent_at=view.sent_at, provider_status=view.provider_status)
