"""Slack: the Web API adapter, Slack's requests over HTTP (signed) or Socket Mode, Block Kit views, the manifest."""
