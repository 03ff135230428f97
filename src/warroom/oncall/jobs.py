"""On-call's engine work: escalation steps (exactly once, in the job's transaction) and heartbeats that
expired."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.oncall.escalation import service as escalation
from warroom.oncall.heartbeats.service import expire_heartbeats


def register(context: EngineContext) -> Wiring:
    return Wiring(transactional={escalation.ESCALATE_JOB: escalation.make_step_handler(context.clock)},
                  managers=[expire_heartbeats])
