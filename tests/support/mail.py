"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives, and the ``inbox`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from warroom.config import Settings
from warroom.runtime import Runtime

from .waiting import free_port

MAIL_FROM = "Warroom <warroom@warroom.test>"


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[ReceivedMail] = field(default_factory=list)
    # Replies to give instead of accepting, in order: for RCPT TO and for DATA.
    rcpt_replies: list[str] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_replies:
            return self.data_replies.pop(0)
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(mail.message["Message-ID"]) for mail in self.received]


@contextmanager
def smtp_server(settings: Settings | None = None, *, mail_from: str = MAIL_FROM) -> Iterator[Inbox]:
    """The server, running until the block ends; given settings, their mail goes to it from ``mail_from``.

    Point a runtime's settings before ``runtime.engine()`` builds the senders.
    """
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        if settings is not None:
            settings.smtp_host = inbox.host
            settings.smtp_port = inbox.port
            settings.mail_from = mail_from
        yield inbox
    finally:
        controller.stop()


def inbox_fixture(*, mail_from: str = MAIL_FROM, point: str | None = "runtime", name: str = "inbox") -> Any:
    """A fixture (``inbox`` unless named otherwise) giving a real SMTP server on 127.0.0.1.

    ``point`` names the fixture whose settings are pointed at it: "runtime" (its settings), "settings", or None
    to leave every setting alone. A conftest or test module binds it: ``inbox = inbox_fixture()``.
    """

    @pytest.fixture(name=name)
    def inbox(request: pytest.FixtureRequest) -> Iterator[Inbox]:
        target = None if point is None else request.getfixturevalue(point)
        settings = target.settings if isinstance(target, Runtime) else target
        with smtp_server(settings, mail_from=mail_from) as server:
            yield server

    return inbox
