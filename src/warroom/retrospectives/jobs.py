"""Retrospectives' engine work: the meeting invites, and an invite that gave up said so."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.retrospectives import invites
from warroom.retrospectives.service import INVITE_JOB


def register(context: EngineContext) -> Wiring:
    return Wiring(
        handlers={INVITE_JOB: invites.make_handler(context.settings, context.clock, context.effects.mailer)},
        on_dead={INVITE_JOB: invites.make_failure_handler()},
    )
