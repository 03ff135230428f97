"""The retrospective's invite: an iCalendar object (RFC 5545, iTIP methods of RFC 5546) mailed to each attendee.

One engine job per attendee and change; its Message-ID comes from the job's idempotency key, so a re-send after a
crash between "sent" and "recorded" is a duplicate the receiver can drop. A job overtaken by a later change (its
SEQUENCE is no longer the retrospective's) sends nothing: the later change queued its own. Without SMTP the invite
goes to the log, as other mail does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy.orm import Session

from warroom.config import Settings
from warroom.core.clock import Clock
from warroom.engine.models import Job
from warroom.engine.runner import Handler, Recorder, TransactionalHandler
from warroom.incidents.models import Incident
from warroom.ports import Mail, Mailer
from warroom.retrospectives import service as retrospectives
from warroom.retrospectives.models import Retrospective, RetrospectiveAttendee
from warroom.retrospectives.service import CANCEL, RetrospectiveView

log = logging.getLogger("warroom.retrospectives")

PRODID = "-//Warroom//Retrospectives//EN"
LOGGED = "mail is not configured (set WARROOM_SMTP_HOST); written to the log instead"


@dataclass(frozen=True)
class Organiser:
    email: str
    name: str


def organiser_of(view: RetrospectiveView, mail_from: str) -> Organiser:
    if view.organiser is not None:
        return Organiser(view.organiser.email, view.organiser.name)
    name, address = parseaddr(mail_from)
    return Organiser(address or "warroom@localhost", name or "Warroom")


def incident_url(incident: Incident, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/incidents/{incident.ref}"


def summary_of(incident: Incident) -> str:
    return f"Retrospective: {incident.ref} {incident.title}"


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def calendar_for(view: RetrospectiveView, *, method: str, now: datetime, base_url: str, mail_from: str,
                 attendees: list[RetrospectiveAttendee] | None = None) -> Calendar:
    """The VCALENDAR with its one VEVENT; ``attendees`` narrows a CANCEL to those uninvited."""
    retro, incident = view.retrospective, view.incident
    link = incident_url(incident, base_url)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", retro.uid)
    event.add("dtstamp", now)
    event.add("dtstart", retro.starts_at)
    event.add("dtend", view.ends_at)
    event.add("sequence", retro.sequence)
    event.add("summary", summary_of(incident))
    event.add("description", f"{retro.agenda}\n\nThe incident: {link}")
    event.add("url", link)
    if retro.location:
        event.add("location", retro.location)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    organiser = organiser_of(view, mail_from)
    event.add("organizer", _address(organiser.email, organiser.name))
    for attendee in view.attendees if attendees is None else attendees:
        event.add("attendee", _address(attendee.email, attendee.name, ROLE="REQ-PARTICIPANT",
                                       PARTSTAT="NEEDS-ACTION", RSVP="TRUE"))
    calendar.add_component(event)
    return calendar


def ics_for(view: RetrospectiveView, *, now: datetime, base_url: str, mail_from: str) -> str:
    """The invite as attendees last got it: REQUEST while scheduled, CANCEL once cancelled."""
    method = "REQUEST" if view.retrospective.status.value == "scheduled" else CANCEL
    calendar = calendar_for(view, method=method, now=now, base_url=base_url, mail_from=mail_from)
    return str(calendar.to_ical().decode())


def invite_mail(view: RetrospectiveView, attendee: RetrospectiveAttendee, *, method: str, removed: bool,
                idempotency_id: str, now: datetime, base_url: str, mail_from: str) -> Mail:
    retro, incident = view.retrospective, view.incident
    link = incident_url(incident, base_url)
    when = f"{retro.starts_at:%Y-%m-%d %H:%M} to {view.ends_at:%H:%M} UTC ({retro.duration_minutes} minutes)"
    organiser = organiser_of(view, mail_from)
    only = [attendee] if removed else None
    calendar = str(calendar_for(view, method=method, now=now, base_url=base_url, mail_from=mail_from,
                                attendees=only).to_ical().decode())
    greeting = f"Hello {attendee.name}," if attendee.name else "Hello,"
    if method == CANCEL:
        subject = f"Cancelled: {summary_of(incident)} @ {retro.starts_at:%Y-%m-%d %H:%M} UTC"
        what = ("You are no longer invited to" if removed else "This meeting is cancelled:")
        lines = [greeting, "", f"{what} the retrospective of {incident.ref}: {incident.title}.", "",
                 f"It was: {when}", "", f"The incident: {link}"]
    else:
        updated = "Updated invitation" if retro.sequence > 0 else "Invitation"
        subject = f"{updated}: {summary_of(incident)} @ {retro.starts_at:%Y-%m-%d %H:%M} UTC"
        lines = [greeting, "", f"You are invited to the retrospective of {incident.ref}: {incident.title}.", "",
                 f"When: {when}"]
        if retro.location:
            lines.append(f"Where: {retro.location}")
        lines += [f"Organiser: {organiser.name} <{organiser.email}>", "", "Agenda:", retro.agenda, "",
                  f"The incident: {link}", "", "Accept or decline with the invite attached (invite.ics)."]
    return Mail(to=attendee.email, subject=subject[:300], body="\n".join(lines), idempotency_id=idempotency_id,
                at=now, headers={"X-Warroom-Incident": incident.ref}, calendar=calendar, calendar_method=method)


def _load(db: Session, job: Job) -> tuple[RetrospectiveView, RetrospectiveAttendee] | None:
    retro = db.get(Retrospective, int(job.payload["retrospective_id"]))
    attendee = db.get(RetrospectiveAttendee, int(job.payload["attendee_id"]))
    if retro is None or attendee is None or retro.sequence != int(job.payload["sequence"]):
        return None  # removed, or overtaken by a later change that queued its own invites
    incident = db.get(Incident, retro.incident_id)
    if incident is None:
        return None
    return retrospectives.view_of(db, incident, retro), attendee


def make_handler(settings: Settings, clock: Clock, mailer: Mailer | None) -> Handler:
    """The engine handler for INVITE_JOB: mail the invite (or log it without a mailer), then record it went."""

    def send_invite(db: Session, job: Job) -> Recorder | None:
        loaded = _load(db, job)
        if loaded is None:
            return None
        view, attendee = loaded
        method = str(job.payload["method"])
        mail = invite_mail(view, attendee, method=method, removed=attendee.removed, idempotency_id=job.idempotency_key,
                           now=clock.now(), base_url=settings.base_url, mail_from=settings.mail_from)
        attendee_id, sequence = attendee.id, view.retrospective.sequence
        db.expunge_all()
        db.rollback()  # no read snapshot held open during the send
        if mailer is None:
            log.info("retrospective invite %s to %s (%s): %s\n%s\n%s", job.idempotency_key, mail.to, LOGGED,
                     mail.subject, mail.body, mail.calendar)
            note = LOGGED
        else:
            mailer.send(mail)
            note = ""

        def record(write: Session) -> None:
            retrospectives.record_sent(db=write, attendee_id=attendee_id, sequence=sequence, at=clock.now(),
                                       note=note)

        return record

    return send_invite


def make_failure_handler() -> TransactionalHandler:
    """The invite gave up (the server refused it, or too many tries): the attendee says why."""

    def on_dead(db: Session, job: Job) -> None:
        stored = db.get(Job, job.id)
        error = stored.last_error if stored is not None else "gave up"
        retrospectives.record_failure(db=db, attendee_id=int(job.payload["attendee_id"]), error=error)

    return on_dead
