"""Twilio calling Warroom: signed form posts as Twilio's docs describe them, and a page sent to a fake Twilio.

The signature here is computed from Twilio's documentation ("Secure webhooks"), not with Warroom's code: the
full URL Twilio called, then each POST parameter sorted by name, as name and value with no separators,
HMAC-SHA1 with the auth token, base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import AccessRole, User
from warroom.core.actor import Actor
from warroom.notifications import service as contacts
from warroom.notifications.models import ContactKind, Notification
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Alert, Priority
from warroom.oncall.alerts.service import AlertSpec, EventView
from warroom.runtime import Runtime

from .. import support
from ..factories import Factory
from ..notifications.servers import FakeTwilio, TwilioRequest, twilio_server
from ..web.conftest import browser  # noqa: F401  (fixture, registered by importing it)

PUBLIC = "https://warroom.example.com"  # WARROOM_BASE_URL: what Twilio calls, through a proxy
WARROOM_NUMBER = "+15005550006"
ACCOUNT_SID = "AC" + "0" * 32


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def sms_form(sender: str, body: str, sid: str = "SM" + "1" * 32) -> dict[str, str]:
    """What Twilio posts for an incoming message (the fields of its messaging webhook)."""
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT_SID,
            "MessagingServiceSid": "", "From": sender, "To": WARROOM_NUMBER, "Body": body, "NumMedia": "0",
            "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01", "FromCountry": "US",
            "ToCountry": "US"}


def gather_form(called: str, digits: str, sid: str = "CA" + "2" * 32) -> dict[str, str]:
    """What Twilio posts to a <Gather>'s action on an outbound call: the call's fields and Digits."""
    return {"CallSid": sid, "AccountSid": ACCOUNT_SID, "From": WARROOM_NUMBER, "To": called, "Called": called,
            "Caller": WARROOM_NUMBER, "CallStatus": "in-progress", "Direction": "outbound-api",
            "ApiVersion": "2010-04-01", "Digits": digits, "FinishedOnKey": "", "msg": "Gather End"}


@dataclass
class Phone:
    """Warroom with Twilio configured, a fake Twilio taking its sends, and Twilio's webhooks to post."""

    runtime: Runtime
    factory: Factory
    client: TestClient
    twilio: FakeTwilio

    def person(self, handle: str, number: str, kind: ContactKind = ContactKind.sms,
               access: AccessRole = AccessRole.responder) -> User:
        user = self.factory.user(handle, access)
        system = Actor.system(self.runtime.clock)
        with self.runtime.database.writing() as db:
            method = contacts.add_contact_method(db=db, actor=system, user=user, kind=kind, address=number)
            contacts.add_rule(db=db, actor=system, user=user, contact_method_id=method.id)
        return user

    def page(self, *people: User, message: str = "Checkout fails") -> int:
        """Page these people and send what the engine queues (to the fake Twilio)."""
        spec = AlertSpec(message=message, priority=Priority.p1,
                         responders=[{"type": "user", "id": p.id} for p in people])
        with self.runtime.database.writing() as db:
            alert_id = alerts.raise_alert(db=db, actor=Actor.system(self.runtime.clock), spec=spec).alert_id
        support.drain(self.runtime)
        return alert_id

    def sent(self, resource: str, to: str) -> TwilioRequest:
        return [r for r in self.twilio.created(resource) if r.form["To"] == to][-1]

    def code(self, text: str) -> str:
        found = re.search(r"Reply (\d{4}) ack / \1 esc / \1 close", text)
        assert found is not None, text
        return found.group(1)

    def post(self, path: str, form: dict[str, str], *, url: str | None = None, token: str | None = None,
             signature: str | None = None) -> httpx.Response:
        """POST ``path`` as Twilio would, signed for ``url`` (the public URL of ``path`` unless told)."""
        return post_signed(self.client, path, form, token or self.twilio.auth_token, url=url, signature=signature)

    def alert(self, alert_id: int) -> Alert:
        with self.runtime.database.reading() as db:
            found = db.get(Alert, alert_id)
            assert found is not None
            return found

    def events(self, alert_id: int, kind: str | None = None) -> list[EventView]:
        with self.runtime.database.reading() as db:
            found = alerts.events(db=db, alert_id=alert_id)
        return [e for e in found if kind is None or e.kind == kind]

    def notifications(self, alert_id: int) -> list[Notification]:
        with self.runtime.database.reading() as db:
            return list(db.scalars(sa.select(Notification).where(Notification.alert_id == alert_id)
                                   .order_by(Notification.id)))


def post_signed(client: TestClient, path: str, form: dict[str, str], token: str, *, url: str | None = None,
                signature: str | None = None) -> httpx.Response:
    """POST ``path`` as Twilio would, signed with ``token`` for ``url`` (the public URL of ``path`` unless told)."""
    sig = signature if signature is not None else twilio_signature(token, url or PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": sig} if sig else {})


def reply_of(response: httpx.Response) -> str:
    """The text of a TwiML answer's <Message> or last <Say>."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    found = re.findall(r"<(?:Message|Say)>(.*?)</(?:Message|Say)>", response.text)
    assert found, response.text
    text: str = found[0]
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")


@pytest.fixture
def phone(runtime: Runtime, factory: Factory, client: TestClient) -> Iterator[Phone]:
    with twilio_server() as twilio:
        settings: Any = runtime.settings
        settings.base_url = PUBLIC
        settings.twilio_account_sid = twilio.account_sid
        settings.twilio_auth_token = twilio.auth_token
        settings.twilio_from = WARROOM_NUMBER
        settings.twilio_base_url = twilio.base_url
        yield Phone(runtime, factory, client, twilio)
