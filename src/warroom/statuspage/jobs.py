"""Status pages' engine work: confirmation mails and each published update to subscribers."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.statuspage import delivery


def register(context: EngineContext) -> Wiring:
    return Wiring(handlers={
        delivery.STATUS_JOB: delivery.make_handler(context.settings, context.secret_key, context.clock,
                                                   mailer=context.effects.mailer, webhook=context.effects.webhook,
                                                   outbound=context.outbound),
    })
