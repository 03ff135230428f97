"""Announcement days' engine work: incidents opened for the days that come."""

from __future__ import annotations

from warroom.announcement_days import service
from warroom.engine.registry import EngineContext, Wiring


def register(context: EngineContext) -> Wiring:
    return Wiring(managers=[service.make_manager(context.clock)])
