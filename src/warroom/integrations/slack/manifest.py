"""The Slack app manifest: paste it at api.slack.com/apps → Create New App → From a manifest."""

from __future__ import annotations

from typing import Any

from warroom.chat.rendering import slug

BOT_SCOPES = [
    "commands",  # /incident and /genie
    "channels:manage",  # create, rename, archive public incident channels; set their topic; invite
    "groups:write",  # the same for private (security) incident channels
    "channels:read",
    "groups:read",
    "channels:history",  # messages in incident channels join the timeline
    "groups:history",
    "chat:write",  # the pinned summary, the announcement, the final summary
    "chat:write.public",  # post to the announcements channel without joining it first
    "pins:write",
    "reactions:read",  # a 📌 on a message marks it as a key event
    "users:read",
    "users:read.email",  # link Slack people to Warroom users by email
    "im:write",  # direct messages
]
BOT_EVENTS = ["message.channels", "message.groups", "reaction_added"]


def manifest(base_url: str, name: str = "Warroom", *, socket_mode: bool = False) -> dict[str, Any]:
    """The manifest; in Socket Mode Slack sends everything over Warroom's WebSocket, so it names no URL."""
    base = base_url.rstrip("/") + "/api/v1/integrations/slack"
    where = {} if socket_mode else {"url": f"{base}/commands"}
    events: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if not socket_mode:
        events = {"request_url": f"{base}/events", **events}
        interactivity["request_url"] = f"{base}/interactivity"
    return {
        "display_information": {
            "name": name,
            "description": "Incident response: /incident to declare and run incidents, /genie to page.",
            "background_color": "#8a1c1c",
        },
        "features": {
            "bot_user": {"display_name": slug(name, 80) or "warroom", "always_online": True},
            "slash_commands": [
                {"command": "/incident", **where,
                 "description": "Declare an incident (no text opens the form) or run an incident command",
                 "usage_hint": "[help | lead @someone | status identified | …]", "should_escape": False},
                {"command": "/genie", **where,
                 "description": "Who is on call, and page a team or person",
                 "usage_hint": "whoisoncall | alert <what> for <team or email>", "should_escape": False},
            ],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
