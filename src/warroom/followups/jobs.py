"""Follow-ups' engine work: their GitHub issues, and reminders of follow-ups past their due date."""

from __future__ import annotations

from warroom.engine.registry import EngineContext, Wiring
from warroom.followups import github_sync, reminders
from warroom.followups.service import GITHUB_ISSUE_JOB


def register(context: EngineContext) -> Wiring:
    return Wiring(
        handlers={GITHUB_ISSUE_JOB: github_sync.make_handler(context.settings, context.clock,
                                                             context.effects.issues)},
        managers=[reminders.make_manager(context.settings.base_url, context.clock)],
        on_dead={GITHUB_ISSUE_JOB: github_sync.make_failure_handler(context.clock)},
    )
