"""Slack as a chat platform: reached with WARROOM_SLACK_BOT_TOKEN, announcing in WARROOM_SLACK_ANNOUNCE_CHANNEL."""

from __future__ import annotations

from warroom.config import Settings
from warroom.ports.chat import ChatPlatform, ChatRegistration


def connect(settings: Settings) -> ChatPlatform | None:
    """The Web API adapter, when a bot token is configured (slack_sdk is imported only then)."""
    if not settings.slack_bot_token:
        return None
    from warroom.integrations.slack.client import SlackPlatform

    return SlackPlatform(settings.slack_bot_token, settings.slack_api_url)


def announce_channel(settings: Settings) -> str:
    return settings.slack_announce_channel


SLACK = ChatRegistration("slack", connect, announce_channel)
