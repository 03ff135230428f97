"""Retrospective test helpers: a real SMTP inbox the runtime's mail goes to, and invites parsed back."""

from __future__ import annotations

from icalendar import Calendar, Event

from ..api.conftest import team  # noqa: F401  (the API test team: alice, bob, carol, vic)
from ..support import Inbox, ReceivedMail, inbox_fixture

inbox = inbox_fixture()  # a real SMTP server (aiosmtpd) on 127.0.0.1, the runtime's mail sent to it


def invite_of(mail: ReceivedMail) -> tuple[Calendar, Event, str]:
    """The text/calendar part, parsed back with icalendar; also checks the .ics attachment says the same."""
    calendars = [part for part in mail.message.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1, mail.message
    attachments = [part for part in mail.message.walk() if part.get_filename() == "invite.ics"]
    assert len(attachments) == 1
    method = calendars[0].get_param("method")
    assert isinstance(method, str)
    text = calendars[0].get_content()
    attached = attachments[0].get_content()
    assert isinstance(attached, bytes)
    assert attached.decode().replace("\r\n", "\n") == text.replace("\r\n", "\n")
    calendar = Calendar.from_ical(text)
    [event] = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    return calendar, event, method


def by_recipient(inbox: Inbox) -> dict[str, ReceivedMail]:
    return {mail.rcpt_tos[0]: mail for mail in inbox.received}
