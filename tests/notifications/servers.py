"""Real servers on 127.0.0.1 that notifications are sent to: SMTP (aiosmtpd) and a fake Twilio REST API.

The fake Twilio speaks the documented shapes of the 2010-04-01 API: form-encoded POSTs to
/2010-04-01/Accounts/{AccountSid}/Messages.json and Calls.json with HTTP basic auth, answering 201 with the
created resource (its ``sid``), or an error ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- SMTP ---------------------------------------------------------------------------------------------


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
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


# --- Twilio -------------------------------------------------------------------------------------------

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-token"
RESOURCE_RE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/(?P<resource>Messages|Calls)\.json$")


@dataclass
class TwilioRequest:
    resource: str
    account_sid: str
    form: dict[str, str]
    headers: dict[str, str]
    auth: tuple[str, str]


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    base_url: str = ""
    requests: list[TwilioRequest] = field(default_factory=list)
    # Answers to give instead of creating the resource, in order: (status, JSON body, extra headers).
    script: list[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=list)

    def created(self, resource: str) -> list[TwilioRequest]:
        return [r for r in self.requests if r.resource == resource]

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        match = RESOURCE_RE.match(path)
        if match is None:
            return 404, _error(20404, "The requested resource was not found", 404), {}
        auth = _basic_auth(headers.get("authorization", ""))
        if auth != (self.account_sid, self.auth_token) or match["sid"] != self.account_sid:
            return 401, _error(20003, "Authenticate", 401), {}
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        self.requests.append(TwilioRequest(match["resource"], match["sid"], form, headers, auth))
        if self.script:
            return self.script.pop(0)
        if not form.get("To"):
            return 400, _error(21604, "A 'To' phone number is required.", 400), {}
        prefix = "SM" if match["resource"] == "Messages" else "CA"
        sid = prefix + uuid.uuid4().hex
        resource = {"sid": sid, "account_sid": self.account_sid, "to": form["To"], "from": form.get("From"),
                    "status": "queued", "api_version": "2010-04-01",
                    "uri": f"/2010-04-01/Accounts/{self.account_sid}/{match['resource']}/{sid}.json"}
        if match["resource"] == "Messages":
            resource.update(body=form.get("Body", ""), direction="outbound-api", num_segments="1")
        return 201, resource, {}


def twilio_error(code: int, message: str, status: int) -> dict[str, Any]:
    return _error(code, message, status)


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _basic_auth(header: str) -> tuple[str, str]:
    if not header.lower().startswith("basic "):
        return "", ""
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


@contextmanager
def twilio_server() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, extra = fake.answer(self.path, headers, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
