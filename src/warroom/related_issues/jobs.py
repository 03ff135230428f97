"""Related issues' engine work: the resolved incident's comment on each issue, then closing it."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.related_issues import sync
from warroom.related_issues.service import RELATED_ISSUE_JOB


def register(context: EngineContext) -> Wiring:
    return Wiring(
        handlers={RELATED_ISSUE_JOB: sync.make_handler(context.settings, context.clock, context.effects.issues)},
        on_dead={RELATED_ISSUE_JOB: sync.make_failure_handler(context.clock)},
    )
