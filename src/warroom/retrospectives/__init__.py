"""Retrospectives: a meeting after the incident, scheduled from it and sent as calendar invites."""
