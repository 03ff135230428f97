"""Incidents' engine work: reminders that a status update is due."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.incidents import reminders


def register(context: EngineContext) -> Wiring:
    return Wiring(managers=[reminders.make_manager(context.settings, context.clock)])
