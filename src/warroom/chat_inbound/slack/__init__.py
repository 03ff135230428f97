"""Slack inbound: signed HTTP requests (commands, interactivity, events) and Socket Mode."""
