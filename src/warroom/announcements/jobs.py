"""Announcements' engine work: each announcement posted to every sink, and rooms refreshed in place."""

from __future__ import annotations

from warroom.announcements import delivery
from warroom.announcements.service import ANNOUNCE_JOB, REFRESH_JOB
from warroom.announcements.sinks import AnnouncementSink, LogSink, WebhookSink
from warroom.chat.sync import ChatSink
from warroom.engine.registry import EngineContext, Wiring


def sinks(context: EngineContext) -> list[AnnouncementSink]:
    """The log always; each configured chat platform's rooms; the announcement webhook when one is set."""
    found: list[AnnouncementSink] = [LogSink()]
    found += [ChatSink(context.database, name) for name in context.chat_platforms()]
    if context.settings.announce_webhook_url:
        found.append(WebhookSink(context.effects.webhook(context.settings.announce_webhook_url, context.secret_key)))
    return found


def register(context: EngineContext) -> Wiring:
    return Wiring(handlers={
        ANNOUNCE_JOB: delivery.make_handler(sinks(context), context.settings.base_url, context.clock),
        REFRESH_JOB: delivery.make_refresh_handler(sinks(context), context.clock),
    })
