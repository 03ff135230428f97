"""What an alert of a private security incident shows, and to whom: one rule for every surface.

An alert tied to a private security incident (ADR 0004) shows its words only to those who may see the
incident: its participants (everyone the page was addressed to among them: they were notified), the
security team and admins. Everyone else sees it redacted: its number, status, priority, whom it pages,
its times and its counts stay, so lists and counts stay honest and a responder can still act on it; its
message, description, details, tags, entity, alias, incident ref and the names of responders it asked for that
Warroom does not know (sender's words) do not: it still shows as unrouted. Acting on an alert is not
joining its incident, and only those who may see the incident may page someone new for it (reassign),
or move the alert to another incident.

A monitoring tool's integration key is nobody in particular: it sees in full only the alerts it raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, attributes

from warroom.core.actor import Actor
from warroom.core.errors import PermissionDenied
from warroom.incidents import visibility
from warroom.incidents.models import Incident
from warroom.oncall.alerts.models import Alert

if TYPE_CHECKING:
    from warroom.notifications.service import DeliveryView
    from warroom.oncall.alerts.service import EventView

REDACTED_MESSAGE = "Private security alert"
PRIVATE_INCIDENT = "a private security incident"
_COPIED = tuple(c.key for c in sa.inspect(Alert).column_attrs)
_ALERTS = attributes.manager_of_class(Alert)
_EVENT_WORDS = {
    "created": "Alert opened", "acknowledged": "Acknowledged", "unacknowledged": "Unacknowledged",
    "closed": "Closed", "snoozed": "Snoozed", "note": "Note added", "escalate_now": "Escalated now",
    "escalated": "Paged the next step", "reassigned": "Reassigned", "updated": "Text updated",
    "attached": "Attached to a private security incident", "notified": "Notified",
    "notify_failed": "Not delivered", "unresolved_responder": "A responder it named is not in Warroom",
    "catch_all": "Nothing routed it: paged the catch-all",
}


# Who may read it -------------------------------------------------------------------------------------


def _private_incidents(db: Session, incident_ids: Iterable[int], actor: Actor | None) -> set[int]:
    """Of these incidents, the private ones this reader may not see (``None``: a tool's key sees none)."""
    wanted = set(incident_ids)
    if not wanted or (actor is not None and (actor.user_id is None or actor.is_admin)):
        return set()
    query = sa.select(Incident.id).where(Incident.id.in_(wanted), Incident.security)
    if actor is not None:
        query = query.where(sa.not_(visibility.visible_to(actor)))
    return set(db.scalars(query))


def hidden_from(db: Session, actor: Actor, found: Sequence[Alert]) -> set[int]:
    """The ids of the alerts whose words this person may not read: one query for a whole page, none when no
    alert on it belongs to an incident."""
    private = _private_incidents(db, (a.incident_id for a in found if a.incident_id is not None), actor)
    return {a.id for a in found if a.incident_id in private}


class KeyReadable(Protocol):
    """What deciding whether a tool's key may read an alert's words looks at: an Alert, or a row of these."""

    @property
    def id(self) -> int: ...

    @property
    def incident_id(self) -> int | None: ...

    @property
    def integration_key_id(self) -> int | None: ...


def hidden_from_key(db: Session, key_id: int, found: Sequence[KeyReadable]) -> set[int]:
    """The ids of the alerts whose words a tool's key may not read: those of private incidents it did not raise."""
    theirs = [a for a in found if a.incident_id is not None and a.integration_key_id != key_id]
    private = _private_incidents(db, (a.incident_id for a in theirs if a.incident_id is not None), None)
    return {a.id for a in theirs if a.incident_id in private}


def may_read(db: Session, actor: Actor, alert: Alert) -> bool:
    return not hidden_from(db, actor, [alert])


def incident_label(db: Session, actor: Actor, alert: Alert) -> str:
    """How to name the alert's incident to this person: its ref, or only that it is a private one."""
    return PRIVATE_INCIDENT if not may_read(db, actor, alert) else f"INC-{alert.incident_id}"


def require_insider(db: Session, actor: Actor, alert: Alert, doing: str) -> None:
    """Paging someone new for an alert of a private incident, or moving it elsewhere, is for those who may see
    the incident: anyone else could page themselves (or a friend) into it, or carry its words out."""
    if not may_read(db, actor, alert):
        raise PermissionDenied(f"Alert #{alert.id} belongs to {PRIVATE_INCIDENT}: only its participants, the "
                               f"security team and admins can {doing}. Acknowledge, snooze or close it instead, "
                               "or ask the security team.", field="alert")


# What the others see ---------------------------------------------------------------------------------


def redacted(alert: Alert) -> Alert:
    """A copy of the alert, never stored (no session knows it), without its words and its incident.

    Built as a loaded instance rather than through the constructor: a third of the cost, for pages of 50.
    """
    copy = _ALERTS.new_instance()
    copy.__dict__.update({name: getattr(alert, name) for name in _COPIED}, message=REDACTED_MESSAGE,
                         description="", alias="", entity="", tags=[], details={}, incident_id=None,
                         unresolved_responders=[])
    return copy


def shown(found: Sequence[Alert], hidden: set[int]) -> list[Alert]:
    return [redacted(a) if a.id in hidden else a for a in found]


def redacted_events(found: Sequence[EventView]) -> list[EventView]:
    """The alert's timeline with what happened and who did it, but no words (notes, messages, incident refs)."""
    return [dataclasses.replace(e, body=_EVENT_WORDS.get(e.kind, e.kind.replace("_", " ").capitalize()), data={})
            for e in found]


def redacted_deliveries(found: Sequence[DeliveryView]) -> list[DeliveryView]:
    return [dataclasses.replace(d, last_error="") for d in found]
