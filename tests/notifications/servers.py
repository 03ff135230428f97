"""Real servers on 127.0.0.1 that notifications are sent to: SMTP (tests.support) and a fake Twilio REST API.

The fake Twilio speaks the documented shapes of the 2010-04-01 API: form-encoded POSTs to
/2010-04-01/Accounts/{AccountSid}/Messages.json and Calls.json with HTTP basic auth, answering 201 with the
created resource (its ``sid``), or an error ``{"code", "message", "more_info", "status"}``.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ..support import Inbox, ReceivedMail, Reply, Request, free_port, http_server, smtp_server  # noqa: F401  (tests import them from here)

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

    def respond(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(501, b"")
        return Reply(*self.answer(request.path, request.headers, request.body))

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
    with http_server(fake.respond) as server:
        fake.base_url = server.url
        yield fake
