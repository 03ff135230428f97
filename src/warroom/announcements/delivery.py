"""The engine handler that delivers an announcement to every configured sink."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from warroom.announcements.models import Announcement
from warroom.announcements.sinks import AnnouncementMessage, AnnouncementSink, RefreshingSink
from warroom.core.clock import Clock
from warroom.engine.models import Job
from warroom.engine.runner import Handler
from warroom.incidents import visibility
from warroom.incidents.models import Incident


def make_handler(sinks: Sequence[AnnouncementSink], base_url: str, clock: Clock) -> Handler:
    def deliver(db: Session, job: Job) -> None:
        announcement = db.get(Announcement, int(job.payload["announcement_id"]))
        if announcement is None:
            return
        incident = db.get(Incident, announcement.incident_id)
        ref = incident.ref if incident else f"INC-{announcement.incident_id}"
        # Outside the feed nobody is signed in: a private incident goes out as the redacted line only,
        # decided at sending time so an incident flagged after its announcement was queued stays private.
        private = incident is None or visibility.is_private(incident)
        text = visibility.redacted_line(announcement.kind, ref) if private else announcement.text
        message = AnnouncementMessage(announcement.id, ref, announcement.kind, text,
                                      f"{base_url.rstrip('/')}/incidents/{ref}", announcement.created_at)
        for sink in sinks:
            sink.post(message, clock.now())

    return deliver


def make_refresh_handler(sinks: Sequence[AnnouncementSink], clock: Clock) -> Handler:
    """An unannounced change: the sinks that keep copies in place bring them up to date."""
    def refresh(db: Session, job: Job) -> None:
        for sink in sinks:
            if isinstance(sink, RefreshingSink):
                sink.refresh(int(job.payload["incident_id"]), f"refresh-{job.id}", clock.now())

    return refresh
