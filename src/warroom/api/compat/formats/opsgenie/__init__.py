"""Opsgenie compatibility: the Alert, Heartbeat and Who-is-on-call APIs, and an importer for Opsgenie data."""
