"""Slack's requests to Warroom: verify the signature, then read them into the chat layer's plain events.

Slack signs each request with ``v0=HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")`` in
X-Slack-Signature and sends the timestamp in X-Slack-Request-Timestamp; a request older (or newer) than five
minutes is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from warroom.core import json_input
from warroom.core.errors import NotAuthenticated, ValidationFailed
from warroom.integrations.slack import views
from warroom.ports.chat import (
    ButtonPressed,
    CommandReceived,
    DeclareSubmitted,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
)

WINDOW_SECONDS = 300
COMMANDS = ("/incident", "/genie")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(*, secret: str, body: bytes, timestamp: str | None, signature: str | None, now: datetime) -> str:
    """Refuse a request Slack did not sign just now; returns the signature (a replay key)."""
    if not secret:
        raise NotAuthenticated("Slack requests are refused here: set WARROOM_SLACK_SIGNING_SECRET.")
    if not timestamp or not signature:
        raise NotAuthenticated("Unsigned request: X-Slack-Signature or X-Slack-Request-Timestamp is missing.")
    try:
        sent = int(timestamp.strip())
    except ValueError:
        raise NotAuthenticated("X-Slack-Request-Timestamp is not a number of seconds.") from None
    if abs(now.timestamp() - sent) > WINDOW_SECONDS:
        raise NotAuthenticated("The request is more than five minutes old (or from the future): refused as a "
                               "possible replay. Check this server's clock.")
    expected = sign(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise NotAuthenticated("X-Slack-Signature does not match this body and the configured signing secret.")
    return expected


def _form(body: bytes) -> dict[str, str]:
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValidationFailed("The body is not form-encoded text.", field="body") from None
    return {key: values[0] for key, values in parsed.items() if values}


def read_command(body: bytes) -> CommandReceived:
    return command_of(_form(body))


def command_of(form: Mapping[str, Any]) -> CommandReceived:
    """A slash command's fields: form-encoded over HTTP, a JSON object in Socket Mode."""
    def field(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    command = field("command").lower()
    if command not in COMMANDS:
        raise ValidationFailed(f"Unknown slash command '{command}'; Warroom answers {' and '.join(COMMANDS)}.",
                               field="command")
    if not field("user_id"):
        raise ValidationFailed("A slash command needs user_id.", field="user_id")
    return CommandReceived(person_id=field("user_id"), room_id=field("channel_id"), command=command,
                           text=field("text"), trigger=field("trigger_id"))


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json_input.loads(text)
    except json_input.InvalidJson as error:
        raise ValidationFailed(f"The {what} is not valid JSON: {error.msg}.", field=what) from None
    if not isinstance(value, dict):
        raise ValidationFailed(f"The {what} must be a JSON object.", field=what)
    return value


def _user_id(payload: dict[str, Any]) -> str:
    user = payload.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise ValidationFailed("An interaction needs user.id.", field="user")
    return user_id


@dataclass(frozen=True)
class Interaction:
    kind: str  # declare, buttons, ignored
    declare: DeclareSubmitted | None = None
    buttons: tuple[ButtonPressed, ...] = ()


def read_interaction(body: bytes) -> Interaction:
    return interaction_of(_object(_form(body).get("payload", ""), "payload"))


def interaction_of(payload: dict[str, Any]) -> Interaction:
    kind = payload.get("type")
    if kind == "view_submission":
        view = payload.get("view")
        if isinstance(view, dict) and view.get("callback_id") == views.DECLARE_CALLBACK:
            return Interaction("declare", declare=views.read_declare(_user_id(payload), view))
        return Interaction("ignored")
    if kind == "block_actions":
        person = _user_id(payload)
        channel = payload.get("channel")
        message = payload.get("message")
        room = str(channel.get("id", "")) if isinstance(channel, dict) else ""
        ts = str(message.get("ts", "")) if isinstance(message, dict) else ""
        text = str(message.get("text", "")) if isinstance(message, dict) else ""
        actions = payload.get("actions")
        pressed = tuple(ButtonPressed(person, str(a.get("action_id", "")), str(a.get("value", "")), room, ts, text)
                        for a in (actions if isinstance(actions, list) else []) if isinstance(a, dict))
        return Interaction("buttons", buttons=pressed)
    return Interaction("ignored")


@dataclass(frozen=True)
class Event:
    kind: str  # challenge, message, edit, delete, reaction, ignored
    event_id: str = ""
    challenge: str = ""
    message: MessagePosted | None = None
    reaction: ReactionAdded | None = None
    edit: MessageEdited | None = None
    delete: MessageDeleted | None = None


def read_event(body: bytes) -> Event:
    return event_of(_object(body.decode(errors="replace"), "body"))


def event_of(payload: dict[str, Any]) -> Event:
    if payload.get("type") == "url_verification":
        return Event("challenge", challenge=str(payload.get("challenge", "")))
    if payload.get("type") != "event_callback":
        return Event("ignored")
    event_id = str(payload.get("event_id", ""))
    event = payload.get("event")
    if not event_id or not isinstance(event, dict):
        raise ValidationFailed("An event_callback needs event_id and event.", field="event")
    kind = event.get("type")
    if kind == "message" and not event.get("subtype") and not event.get("bot_id"):
        if not all(isinstance(event.get(k), str) for k in ("user", "channel", "ts", "text")):
            return Event("ignored", event_id)
        return Event("message", event_id, message=MessagePosted(event["user"], event["channel"], event["ts"],
                                                                event["text"]))
    if kind == "message" and event.get("subtype") in ("message_changed", "message_deleted"):
        return _changed(event_id, event)
    if kind == "reaction_added":
        item = event.get("item")
        if isinstance(item, dict) and item.get("type") == "message" and isinstance(event.get("user"), str):
            return Event("reaction", event_id, reaction=ReactionAdded(event["user"], str(item.get("channel", "")),
                                                                      str(item.get("ts", "")),
                                                                      str(event.get("reaction", ""))))
    return Event("ignored", event_id)


def _changed(event_id: str, event: dict[str, Any]) -> Event:
    """An edit (the message as it reads now) or a deletion (the message as it read) in a channel."""
    channel = event.get("channel")
    if event["subtype"] == "message_changed":
        message = event.get("message")
        if (isinstance(channel, str) and isinstance(message, dict) and not message.get("bot_id")
                and all(isinstance(message.get(k), str) for k in ("user", "ts", "text"))):
            return Event("edit", event_id, edit=MessageEdited(message["user"], channel, message["ts"],
                                                              message["text"]))
        return Event("ignored", event_id)
    previous = event.get("previous_message")
    if isinstance(channel, str) and isinstance(previous, dict) and isinstance(previous.get("user"), str):
        return Event("delete", event_id, delete=MessageDeleted(previous["user"], channel,
                                                               str(event.get("deleted_ts") or previous.get("ts"))))
    return Event("ignored", event_id)
