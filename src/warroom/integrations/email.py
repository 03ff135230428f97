"""Mail over SMTP (stdlib smtplib), with a Message-ID receivers can dedup on.

A retried send carries the same Message-ID, built from the notification's idempotency id, so a mail
client or a receiving pipeline can drop the duplicate that a crash between "sent" and "recorded" makes.
Temporary SMTP trouble (4xx replies, refused connections, time-outs) is retried; 5xx replies are not.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from warroom.core.delivery import DeliveryError
from warroom.ports import Mail


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    mail_from: str = "warroom@localhost"
    timeout: float = 15.0


def message_id_for(idempotency_id: str, mail_from: str) -> str:
    """``<ntf-…@domain>``: the same for every attempt of one notification."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") if "@" in mail_from else "warroom.local"
    return f"<{idempotency_id}@{domain or 'warroom.local'}>"


def build_message(config: SmtpConfig, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.at)
    message["Message-ID"] = message_id_for(mail.idempotency_id, config.mail_from)
    # RFC 3834: an automatic message; vacation responders must not answer it.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.body)
    if mail.calendar:
        message.add_alternative(mail.calendar, subtype="calendar", params={"method": mail.calendar_method})
        message.add_attachment(mail.calendar.encode(), maintype="application", subtype="ics",
                               filename="invite.ics")
    return message


@dataclass(frozen=True)
class SmtpMailer:
    config: SmtpConfig

    def send(self, mail: Mail) -> None:
        message = build_message(self.config, mail)
        try:
            with self._session() as smtp:
                smtp.send_message(message)
        except DeliveryError:
            raise
        except smtplib.SMTPNotSupportedError as error:
            # e.g. a username is set but the server offers no AUTH: a configuration error, not bad luck.
            raise DeliveryError(f"SMTP {self.config.host}:{self.config.port}: {error}", permanent=True) from error
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (550, b"refused"))
            raise _reply_error(code, reply, f"recipient {mail.to} refused") from error
        except smtplib.SMTPResponseException as error:
            raise _reply_error(error.smtp_code, error.smtp_error, "SMTP server refused the mail") from error
        except (smtplib.SMTPException, OSError) as error:
            # Disconnects, refused connections, time-outs, DNS failures: try again later.
            raise DeliveryError(f"SMTP {self.config.host}:{self.config.port} unreachable: "
                                f"{type(error).__name__}: {error}") from error


    def verify(self) -> str:
        """Connect, greet, STARTTLS and log in as a send would, and send nothing; the server's greeting."""
        try:
            with self._session() as smtp:
                code, reply = smtp.noop()
                if code != 250:
                    raise _reply_error(code, reply, "the SMTP server refused NOOP")
                return (smtp.ehlo_resp or b"").decode(errors="replace").splitlines()[0] if smtp.ehlo_resp else ""
        except DeliveryError:
            raise
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(f"SMTP {self.config.host}:{self.config.port}: {error}", permanent=True) from error
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP {self.config.host}:{self.config.port} refused the login "
                                f"({error.smtp_code}); check WARROOM_SMTP_USERNAME and WARROOM_SMTP_PASSWORD",
                                permanent=True) from error
        except smtplib.SMTPResponseException as error:
            raise _reply_error(error.smtp_code, error.smtp_error, "the SMTP server refused") from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP {self.config.host}:{self.config.port} unreachable: "
                                f"{type(error).__name__}: {error}") from error

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        with smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout) as smtp:
            smtp.ehlo()
            if self.config.starttls:
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{self.config.host}:{self.config.port} does not offer STARTTLS "
                        "(unset WARROOM_SMTP_STARTTLS or use a server that supports it)", permanent=True)
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.config.username:
                smtp.login(self.config.username, self.config.password)
            yield smtp


def _reply_error(code: int, reply: bytes | str, what: str) -> DeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    # 5xx is a permanent refusal; 4xx (and anything odd) is temporary.
    return DeliveryError(f"{what}: {code} {text}".strip(), permanent=500 <= code < 600)
