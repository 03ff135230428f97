"""Notifications' engine work: each planned page sent on its contact method, and a page that gave up said so."""

from __future__ import annotations

from warroom.chat import pages as chat_pages
from warroom.engine.registry import EngineContext, Wiring
from warroom.notifications import delivery
from warroom.notifications.planning import NOTIFY_JOB
from warroom.notifications.senders import SenderRegistry, build_senders


def senders(context: EngineContext) -> SenderRegistry:
    """A sender per contact kind; with a chat platform configured, chat pages go there with their buttons."""
    found = build_senders(context.settings, secret_key=context.secret_key, clock=context.clock,
                          effects=context.effects, outbound=context.outbound)
    for platform in context.chat_platforms().values():
        found = chat_pages.with_chat_pages(found, platform, context.database, context.clock)
    return found


def register(context: EngineContext) -> Wiring:
    read_ahead = delivery.PagesReadAhead(context.clock)
    return Wiring(
        handlers={NOTIFY_JOB: delivery.make_notify_handler(context.database, senders(context), context.clock,
                                                           context.settings.base_url, read_ahead)},
        on_dead={NOTIFY_JOB: delivery.make_failure_handler(context.clock)},
        preparers={NOTIFY_JOB: read_ahead.read},
    )
