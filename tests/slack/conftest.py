"""A local fake Slack Web API speaking Slack's documented shapes, signed Slack requests, and an engine drain.

The fake answers ``{"ok": true, …}`` or ``{"ok": false, "error": "…"}`` (HTTP 200) as Slack does, HTTP 429 with
Retry-After when rate-limited, and takes arguments form-encoded or as JSON, as slack_sdk sends them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.testclient import TestClient

from warroom.chat_inbound.slack.inbound import sign
from warroom.config import Settings
from warroom.core.clock import FakeClock

from .. import support
from ..factories import Factory
from ..support import Reply as Answer  # what Slack answers: status, JSON body, headers
from ..support import Request, drain, http_server  # noqa: F401  (drain: tests import it from here)

TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A123456-test"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ANNOUNCE = "#announce-incidents"
ANNOUNCE_ID = "C0ANNOUNCE"
GENERAL_ID = "C0GENERAL"


RATE_LIMITED = Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"})
OUTAGE = Answer(503, {"ok": False, "error": "service_unavailable"})


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    topic: str = ""
    members: set[str] = field(default_factory=set)
    archived: bool = False
    pins: list[str] = field(default_factory=list)


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    edits: int = 0
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def buttons(self) -> list[str]:
        return [e["action_id"] for b in self.blocks if b["type"] == "actions" for e in b["elements"]]


@dataclass
class FakeSlack:
    url: str = ""
    users: dict[str, str] = field(default_factory=dict)  # member id → email
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    views: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # every request, answered or not
    done: list[str] = field(default_factory=list)  # methods that succeeded, in order
    scripted: dict[str, list[Answer]] = field(default_factory=dict)  # method → answers given before the real one
    names: dict[str, str] = field(default_factory=dict)  # member id → display name
    ephemeral: list[tuple[str, str, str]] = field(default_factory=list)  # (channel, user, text)
    socket_url: str = ""  # what apps.connections.open answers (with ?ticket=<n> added)
    tickets: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 1

    def script(self, method: str, *answers: Answer) -> None:
        self.scripted.setdefault(method, []).extend(answers)

    def count(self, method: str) -> int:
        return self.done.count(method)

    def channel_named(self, name: str) -> Channel:
        return next(c for c in self.channels.values() if c.name == name)

    def in_channel(self, channel_id: str) -> list[Message]:
        return [m for m in self.messages.values() if m.channel == channel_id]

    def respond(self, request: Request) -> Answer:
        """A Web API call: arguments as JSON or form-encoded (blank fields dropped), the method from the path."""
        if request.headers.get("content-type", "").startswith("application/json"):
            args = request.json() or {}
        else:
            args = request.form(keep_blank=False)
        return self.answer(request.path.rstrip("/").rsplit("/", 1)[-1], request.headers, args)

    def answer(self, method: str, headers: dict[str, str], args: dict[str, Any]) -> Answer:
        with self.lock:
            self.calls.append((method, args))
            queued = self.scripted.get(method)
            if queued:
                return queued.pop(0)
            token = APP_TOKEN if method == "apps.connections.open" else TOKEN
            if headers.get("authorization") != f"Bearer {token}":
                return Answer(200, {"ok": False, "error": "invalid_auth"})
            handler = getattr(self, "_" + method.replace(".", "_").lower(), None)
            if handler is None:
                return Answer(200, {"ok": False, "error": "unknown_method"})
            body: dict[str, Any] = handler(args)
            if body.get("ok"):
                self.done.append(method)
            return Answer(200, body)

    def _id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}{self._next:07d}"

    def _channel(self, ref: Any) -> Channel | None:
        text = str(ref or "")
        if text.startswith("#"):
            return next((c for c in self.channels.values() if c.name == text[1:]), None)
        return self.channels.get(text)

    def _conversations_create(self, a: dict[str, Any]) -> dict[str, Any]:
        name = str(a.get("name", ""))
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        channel = Channel(self._id("C"), name, str(a.get("is_private", "false")).lower() in ("1", "true"))
        self.channels[channel.id] = channel
        return {"ok": True, "channel": {"id": channel.id, "name": name, "is_channel": True,
                                        "is_private": channel.is_private, "created": int(time.time())}}

    def _conversations_rename(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        channel.name = str(a.get("name"))
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name}}

    def _conversations_settopic(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        channel.topic = str(a.get("topic", ""))
        return {"ok": True, "channel": {"id": channel.id, "topic": {"value": channel.topic}}}

    def _conversations_invite(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        users = [u for u in str(a.get("users", "")).split(",") if u]
        if any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        if all(u in channel.members for u in users):
            return {"ok": False, "error": "already_in_channel"}
        channel.members.update(users)
        return {"ok": True, "channel": {"id": channel.id}}

    def _conversations_archive(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if channel.archived:
            return {"ok": False, "error": "already_archived"}
        channel.archived = True
        return {"ok": True}

    def _chat_postmessage(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        if channel is None:
            if str(a.get("channel", "")) in self.users:  # a DM
                channel = Channel(f"D{a['channel']}", "", True)
                self.channels[channel.id] = channel
            else:
                return {"ok": False, "error": "channel_not_found"}
        if channel.archived:
            return {"ok": False, "error": "is_archived"}
        ts = f"{1767600000 + self._next}.{self._next:06d}"
        self._next += 1
        self.messages[(channel.id, ts)] = Message(channel.id, ts, str(a.get("text", "")), 0, _blocks(a))
        return {"ok": True, "channel": channel.id, "ts": ts, "message": {"type": "message", "text": a.get("text"),
                                                                         "ts": ts}}

    def _chat_update(self, a: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((str(a.get("channel")), str(a.get("ts"))))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.text = str(a.get("text", ""))
        message.blocks = _blocks(a)
        message.edits += 1
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _pins_add(self, a: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(a.get("channel"))
        ts = str(a.get("timestamp"))
        if channel is None or (channel.id, ts) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        if ts in channel.pins:
            return {"ok": False, "error": "already_pinned"}
        channel.pins.append(ts)
        return {"ok": True}

    def _users_lookupbyemail(self, a: dict[str, Any]) -> dict[str, Any]:
        for member, email in self.users.items():
            if email == a.get("email"):
                return {"ok": True, "user": {"id": member, "profile": {"email": email}}}
        return {"ok": False, "error": "users_not_found"}

    def _users_info(self, a: dict[str, Any]) -> dict[str, Any]:
        member = str(a.get("user"))
        if member not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name = self.names.get(member, "")
        return {"ok": True, "user": {"id": member, "name": member.lower(), "deleted": False, "is_bot": False,
                                     "real_name": name, "profile": {"email": self.users[member],
                                                                    "display_name": name, "real_name": name}}}

    def _chat_postephemeral(self, a: dict[str, Any]) -> dict[str, Any]:
        if self._channel(a.get("channel")) is None:
            return {"ok": False, "error": "channel_not_found"}
        self.ephemeral.append((str(a.get("channel")), str(a.get("user")), str(a.get("text", ""))))
        return {"ok": True, "message_ts": f"{1767600000 + self._next}.000001"}

    def _apps_connections_open(self, a: dict[str, Any]) -> dict[str, Any]:
        self.tickets += 1
        return {"ok": True, "url": f"{self.socket_url}?ticket={self.tickets}"}

    def _views_open(self, a: dict[str, Any]) -> dict[str, Any]:
        view = a.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not a.get("trigger_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        self.views.append({"trigger_id": a["trigger_id"], **view})
        return {"ok": True, "view": {"id": self._id("V"), **view}}


def _blocks(args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = args.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.channels[ANNOUNCE_ID] = Channel(ANNOUNCE_ID, ANNOUNCE.lstrip("#"), False)
    fake.channels[GENERAL_ID] = Channel(GENERAL_ID, "general", False)
    with http_server(fake.respond, path="/api/") as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def settings(settings: Settings, slack: FakeSlack) -> Settings:
    return settings.model_copy(update={"slack_bot_token": TOKEN, "slack_signing_secret": SIGNING_SECRET,
                                       "slack_api_url": slack.url, "slack_announce_channel": ANNOUNCE})


class SlackRequests:
    """Warroom's Slack routes, called as Slack calls them: form-encoded or JSON, signed with the secret."""

    def __init__(self, client: TestClient, clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self.triggers = 0

    def signed(self, path: str, body: bytes, content_type: str, *, secret: str = SIGNING_SECRET,
               age_seconds: int = 0) -> httpx.Response:
        timestamp = str(int(self.clock.now().timestamp()) - age_seconds)
        headers = {"content-type": content_type, "x-slack-request-timestamp": timestamp,
                   "x-slack-signature": sign(secret, timestamp, body)}
        return self.client.post(f"/api/v1/integrations/slack/{path}", content=body, headers=headers)

    def command_body(self, user: str, text: str, channel: str = GENERAL_ID, command: str = "/incident") -> bytes:
        self.triggers += 1
        return urlencode({
            "token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": "T0001", "team_domain": "acme",
            "channel_id": channel, "channel_name": "whatever", "user_id": user, "user_name": user.lower(),
            "command": command, "text": text, "api_app_id": "A123456",
            "response_url": "https://hooks.slack.com/commands/1234/5678",
            "trigger_id": f"13345224609.738474920.{self.triggers}",
        }).encode()

    def command(self, user: str, text: str, channel: str = GENERAL_ID, command: str = "/incident") -> httpx.Response:
        return self.signed("commands", self.command_body(user, text, channel, command),
                           "application/x-www-form-urlencoded")

    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.signed("interactivity", body, "application/x-www-form-urlencoded")

    def submit_declare(self, user: str, view: dict[str, Any], description: str, severity: str,
                       flags: tuple[str, ...] = ()) -> httpx.Response:
        chosen = {"value": severity, "text": {"type": "plain_text", "text": severity.title()}}
        values = {
            "description": {"value": {"type": "plain_text_input", "value": description}},
            "severity": {"value": {"type": "radio_buttons", "selected_option": chosen}},
            "flags": {"value": {"type": "checkboxes", "selected_options": [{"value": f} for f in flags]}},
        }
        return self.interaction({
            "type": "view_submission", "team": {"id": "T0001", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0001"}, "api_app_id": "A123456",
            "trigger_id": "12466734323.1395872398", "view": {
                "id": "V0001", "type": "modal", "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""), "blocks": view["blocks"],
                "state": {"values": values}, "hash": "156772938.1827394"}})

    def event(self, event: dict[str, Any], event_id: str) -> httpx.Response:
        body = json.dumps({"token": "XXYYZZ", "team_id": "T0001", "api_app_id": "A123456", "event": event,
                           "type": "event_callback", "event_id": event_id, "event_time": 1767600000}).encode()
        return self.signed("events", body, "application/json")


@pytest.fixture
def slack_requests(client: TestClient, clock: FakeClock) -> SlackRequests:
    return SlackRequests(client, clock)


@dataclass
class People:
    alice: Any
    bob: Any


@pytest.fixture
def people(factory: Factory, slack: FakeSlack) -> People:
    from warroom.accounts.models import AccessRole

    alice, bob = support.people(factory, {"alice": AccessRole.admin, "bob": ()}).values()
    slack.users.update({"UALICE": "alice@example.com", "UBOB": "bob@example.com", "UEVE": "eve@elsewhere.test"})
    return People(alice, bob)
