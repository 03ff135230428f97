"""Reports' engine work: the acknowledgement mail to the person who reported."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.reports.mail import make_acknowledgement_handler
from warroom.reports.service import REPORT_ACK_JOB


def register(context: EngineContext) -> Wiring:
    return Wiring(handlers={
        REPORT_ACK_JOB: make_acknowledgement_handler(context.settings, context.clock, context.effects.mailer),
    })
