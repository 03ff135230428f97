"""Mail to the inbound address becomes a report: sender, subject and text body (HTML-only mail reduced to text).

Two doors, one parser: an SMTP listener (`warroom serve` starts it when WARROOM_INBOUND_SMTP_PORT is set) and
``POST /api/v1/reports/inbound`` taking the raw message (message/rfc822) from an MTA such as Postfix. A mail is
accepted (250 / 201) only once its report is committed; a store outage answers "try again later" (451 / 503).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.exc import SQLAlchemyError

from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import Clock
from warroom.core.errors import ValidationFailed
from warroom.db.engine import Database
from warroom.reports import service as reports
from warroom.reports.models import Report, ReportSource

log = logging.getLogger("warroom.reports")

NO_SUBJECT = "(no subject)"
SHORTENED = "\n\n[… the rest of the message was cut: it is longer than {limit} characters]"
MESSAGE_ID_RE = re.compile(r"^<[^<>\s]{1,496}>$")
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "auto_reply"}


# Reading a message -------------------------------------------------------------------------------------


class _TextOfHtml(HTMLParser):
    """The words of an HTML mail, a line per block; scripts, styles and the head dropped."""

    SKIP = frozenset({"script", "style", "head", "title", "noscript", "template"})
    BLOCK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                       "blockquote", "pre", "hr", "section", "article", "header", "footer"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _content(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            if isinstance(content, str):
                return content
    except (LookupError, ValueError, KeyError):
        pass  # an unknown charset or broken encoding: decode by hand below
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _content(part)
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return reports.CONTROL_RE.sub("", text.replace("\r\n", "\n")).strip()


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        return ""


def _sender_name(raw: str) -> str:
    name = " ".join(reports.CONTROL_RE.sub("", raw).replace("<", "").replace(">", "").split())
    return name[: reports.MAX_NAME]


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    note = SHORTENED.format(limit=limit)
    return text[: limit - len(note)].rstrip() + note


def mail_submission(raw: bytes, *, max_bytes: int, own_addresses: Sequence[str] = ()) -> reports.Submission:
    """Check a raw RFC 822 message and say what would be kept; refuse what cannot be a report."""
    if len(raw) > max_bytes:
        raise ValidationFailed(f"The message is {len(raw)} bytes; at most {max_bytes} are accepted.",
                               field="message")
    if not raw.strip():
        raise ValidationFailed("The message is empty; send the whole mail (headers and body) as message/rfc822.",
                               field="message")
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    if not _header(parsed, "From"):
        raise ValidationFailed("The message has no From header; send the whole mail, headers included.",
                               field="message")
    auto = _header(parsed, "Auto-Submitted").strip().lower()
    if (auto and auto != "no") or _header(parsed, "Precedence").strip().lower() in AUTOMATIC_PRECEDENCE:
        raise ValidationFailed("Automatic mail (auto-replies, bulk mail) is not turned into a report.",
                               field="message")
    name, address = parseaddr(_header(parsed, "From"))
    try:
        email = reports.clean_email(address)
    except ValidationFailed:
        raise ValidationFailed("The sender (From) is not an email address we can answer.", field="from") from None
    if email.lower() in {a.strip().lower() for a in own_addresses if a.strip()}:
        raise ValidationFailed("Mail from Warroom's own address is not turned into a report (a mail loop).",
                               field="from")
    subject = " ".join(reports.CONTROL_RE.sub("", _header(parsed, "Subject")).split())[: reports.MAX_SUMMARY]
    description = _shortened(body_text(parsed), reports.MAX_DESCRIPTION)
    if not subject and not description:
        raise ValidationFailed("The message has neither a subject nor any text; say what is happening.",
                               field="message")
    message_id = _header(parsed, "Message-ID").strip()
    return reports.Submission(
        source=ReportSource.email, name=_sender_name(name), email=email,
        summary=subject or reports.summary_of(description) or NO_SUBJECT, description=description,
        message_id=message_id if MESSAGE_ID_RE.match(message_id) else None,
    )


def receive_mail(database: Database, clock: Clock, raw: bytes, settings: Settings) -> tuple[Report, bool]:
    """Parse and keep one mail as a report, committed before this returns."""
    submission = mail_submission(raw, max_bytes=settings.inbound_max_bytes,
                                 own_addresses=(parseaddr(settings.mail_from)[1], settings.inbound_address))
    with database.writing() as db:
        report, created = reports.receive_report(db=db, actor=Actor.system(clock), submission=submission)
        db.flush()
        db.expunge(report)
    return report, created


# The SMTP listener ------------------------------------------------------------------------------------


def _smtp_text(text: str) -> str:
    """One line of printable ASCII, as an SMTP reply needs."""
    return " ".join(text.encode("ascii", "replace").decode().split())[:400]


@dataclass
class InboundMailHandler:
    """aiosmtpd handler: accepts mail for the inbound address only, and answers 250 once the report is stored."""

    database: Database
    clock: Clock
    settings: Settings

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        wanted = self.settings.inbound_address.strip().lower()
        if address.strip().lower() != wanted:
            return f"550 5.1.1 <{_smtp_text(address)}>: no such mailbox; reports go to {_smtp_text(wanted)}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        return await asyncio.get_running_loop().run_in_executor(None, self.receive, data)

    def receive(self, raw: bytes) -> str:
        try:
            receive_mail(self.database, self.clock, raw, self.settings)
        except ValidationFailed as error:
            return f"550 5.6.0 {_smtp_text(error.message)}"
        except SQLAlchemyError:
            log.exception("inbound mail: could not store the report")
            return "451 4.3.0 The triage inbox is not available right now; try again later"
        return "250 2.0.0 Report received"


def start_listener(database: Database, clock: Clock, settings: Settings) -> Controller | None:
    """The SMTP listener, started, when WARROOM_INBOUND_SMTP_PORT is set; None otherwise."""
    if not settings.inbound_smtp_port:
        return None
    if not settings.inbound_address.strip():
        raise ValueError("WARROOM_INBOUND_SMTP_PORT is set but WARROOM_INBOUND_ADDRESS is not: say which address "
                         "(e.g. incidents@example.com) the listener accepts mail for.")
    handler = InboundMailHandler(database, clock, settings)
    controller = Controller(handler, hostname=settings.inbound_smtp_host, port=settings.inbound_smtp_port,
                            data_size_limit=settings.inbound_max_bytes, ident="Warroom inbound mail")
    controller.start()
    log.info("inbound mail: listening on %s:%s for %s", settings.inbound_smtp_host, settings.inbound_smtp_port,
             settings.inbound_address)
    return controller


@contextmanager
def inbound_listener(database: Database, clock: Clock, settings: Settings) -> Iterator[Controller | None]:
    """For `warroom serve`: the listener while the server runs; a setting missing stops start-up with a reason."""
    try:
        controller = start_listener(database, clock, settings)
    except ValueError as error:
        raise SystemExit(str(error)) from None
    try:
        yield controller
    finally:
        if controller is not None:
            controller.stop()
