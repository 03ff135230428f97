"""Chat's engine work: keeping each incident's rooms in step, editing pages after a button, forgetting old
event ids."""

from __future__ import annotations

from warroom.chat import pages, sync
from warroom.engine.registry import ChatWorkspace, EngineContext, Wiring

# Jobs queued before a second platform existed name none: they are Slack's.
FIRST_PLATFORM = "slack"


def register(context: EngineContext) -> Wiring:
    first = context.chat.get(FIRST_PLATFORM, ChatWorkspace(lambda: None, ""))
    others = {name: workspace for name, workspace in context.chat.items() if name != FIRST_PLATFORM}
    return Wiring(
        handlers={
            sync.CHAT_SYNC_JOB: sync.make_handler(context.database, first.platform, context.clock,
                                                  context.settings.base_url, first.announce_room, others),
            pages.MESSAGE_UPDATE_JOB: pages.make_update_handler(
                first.platform, {name: workspace.platform for name, workspace in others.items()}),
        },
        managers=[sync.make_event_pruner()],
    )
