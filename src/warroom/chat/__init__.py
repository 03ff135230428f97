"""Chat as a domain: each incident's room on each platform, the people linked to chat accounts, messages
mirrored to the timeline, pages as direct messages with buttons, and the engine jobs that keep rooms in step.

It speaks to a platform only through ``warroom.ports.chat.ChatPlatform``; the Slack and Matrix adapters and the
inbound dispatch that turns chat events into commands live in ``integrations/``.
"""
