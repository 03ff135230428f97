"""Slack in HTTP mode: the Web API adapter, signed inbound requests, Block Kit views and the app manifest."""
