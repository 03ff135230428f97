"""The ports: every effect Warroom has on the outside world, as the protocols domains depend on.

A domain says what it needs (a mail sent, a webhook posted, a GitHub issue opened, a text or a call, a chat
message) through these protocols and plain values; ``integrations/`` implements them (SMTP, signed
webhooks, the GitHub REST API, Twilio, Slack and Matrix), and the composition root (``runtime.py``) picks the
implementations from settings and hands them over as one ``Outbound`` bundle. So a domain never imports an
integration, and a test can hand a domain a fake of any port. A chat workspace is ``warroom.ports.chat``'s
``ChatPlatform`` (rooms, messages, direct messages with buttons) with the plain events a platform delivers.

Every implementation fails by raising ``warroom.core.delivery.DeliveryError``: retried by the engine unless
``permanent``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from warroom.core.outbound import OutboundPolicy

# --- mail ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """One mail to one address. ``idempotency_id`` makes its Message-ID, the same for every attempt."""

    to: str
    subject: str
    body: str
    idempotency_id: str
    at: datetime
    headers: dict[str, str] = field(default_factory=dict)
    # An iCalendar object (a meeting invite): sent as a text/calendar alternative and as an .ics attachment.
    calendar: str = ""
    calendar_method: str = "REQUEST"


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


# --- webhooks -----------------------------------------------------------------------------------------------


class Webhook(Protocol):
    """A signed POST of JSON to one receiver; ``message_id`` is the webhook-id receivers dedup on."""

    def send(self, *, message_id: str, payload: dict[str, Any], at: datetime) -> None: ...


class WebhookFactory(Protocol):
    """A webhook to ``url`` signed with ``secret``. With a ``policy`` (URLs people typed in), only to the
    addresses it allows."""

    def __call__(self, url: str, secret: str, *, policy: OutboundPolicy | None = None) -> Webhook: ...


# --- GitHub issues ------------------------------------------------------------------------------------------

REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def valid_repository(text: str) -> str:
    """``owner/name`` as GitHub spells it; raises ValueError with what is wrong."""
    value = text.strip()
    if not REPOSITORY.match(value):
        raise ValueError(f"'{value}' is not a GitHub repository; write it as owner/name (like acme/api).")
    return value


@dataclass(frozen=True)
class Issue:
    repository: str
    number: int
    url: str  # the issue's page (html_url)
    title: str
    state: str  # open or closed


@dataclass(frozen=True)
class Comment:
    id: int
    url: str  # the comment's page (html_url)


class IssueTracker(Protocol):
    """Issues in a repository (``owner/name``): follow-ups become issues, related issues hear the outcome."""

    def create_issue(self, *, repository: str, title: str, body: str, labels: list[str]) -> Issue: ...

    def get_issue(self, *, repository: str, number: int) -> Issue: ...

    def find_issue(self, *, repository: str, marker: str) -> Issue | None: ...

    def add_comment(self, *, repository: str, number: int, body: str) -> Comment: ...

    def close_issue(self, *, repository: str, number: int) -> Issue: ...


# --- SMS and voice ------------------------------------------------------------------------------------------


class TextMessages(Protocol):
    """Text messages to phone numbers; answers the provider's id for the message. The provider reports the
    message's delivery status to ``status_callback`` when given."""

    def send_sms(self, *, to: str, body: str, idempotency_id: str, status_callback: str = "") -> str: ...


@dataclass(frozen=True)
class Keypress:
    """A call that asks for a key: ``prompt`` is read instead of the message, and the key pressed is posted
    to ``action_url``."""

    prompt: str
    action_url: str


class PhoneCalls(Protocol):
    """Calls that read a message aloud (or, with ``keypress``, ask for a key); answers the provider's id for the
    call. The provider reports the call's progress to ``status_callback`` when given."""

    def call(self, *, to: str, say: str, idempotency_id: str, keypress: Keypress | None = None,
             status_callback: str = "") -> str: ...


# --- the bundle ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outbound:
    """The implementations settings chose, built once by the composition root.

    ``mailer`` is None where no SMTP server is configured: each domain then writes what it would have sent
    to the log, in its own words; ``sms`` and ``calls`` are None without a phone provider.
    """

    mailer: Mailer | None
    webhook: WebhookFactory
    issues: IssueTracker
    sms: TextMessages | None = None
    calls: PhoneCalls | None = None
