"""The engine is put together from what each package registers (its jobs.py), with chat platforms by name."""

import pytest

from warroom.announcements import jobs as announcements
from warroom.announcements.service import ANNOUNCE_JOB, REFRESH_JOB
from warroom.chat.pages import MESSAGE_UPDATE_JOB
from warroom.chat.sync import CHAT_SYNC_JOB, ChatSink
from warroom.engine.registry import ChatWorkspace, EngineContext, Wiring, wire
from warroom.followups.service import GITHUB_ISSUE_JOB
from warroom.integrations.chat import FakeChat
from warroom.notifications import jobs as notifications
from warroom.notifications.models import ContactKind
from warroom.notifications.planning import NOTIFY_JOB
from warroom.oncall.escalation.service import ESCALATE_JOB
from warroom.related_issues.service import RELATED_ISSUE_JOB
from warroom.reports.service import REPORT_ACK_JOB
from warroom.retrospectives.service import INVITE_JOB
from warroom.statuspage.delivery import STATUS_JOB


def context(runtime, **chat):
    return EngineContext(runtime.settings, runtime.database, runtime.clock, runtime.secret_key, runtime.effects(),
                         runtime.outbound, chat)


def test_the_runtime_engine_runs_every_package_s_jobs(runtime):
    engine = runtime.engine()
    assert set(engine.handlers) == {ANNOUNCE_JOB, REFRESH_JOB, NOTIFY_JOB, REPORT_ACK_JOB, STATUS_JOB,
                                    GITHUB_ISSUE_JOB, INVITE_JOB, RELATED_ISSUE_JOB, CHAT_SYNC_JOB,
                                    MESSAGE_UPDATE_JOB}
    assert set(engine.transactional) == {ESCALATE_JOB}
    assert set(engine.on_dead) == {NOTIFY_JOB, GITHUB_ISSUE_JOB, INVITE_JOB, RELATED_ISSUE_JOB}
    names = [getattr(manager, "__name__", type(manager).__name__) for manager in engine.managers]
    # watch() puts the engine's pruner last; the packages' managers tick before it. Its heartbeat turns with the
    # jobs, not among the managers.
    assert names == ["status_update_reminders", "expire_heartbeats", "announcement_day_incidents",
                     "prune", "followup_reminders", "Pruner"]
    assert type(engine.beat).__name__ == "Heartbeat"


def test_a_job_kind_two_packages_claim_is_refused(runtime):
    def one(_context):
        return Wiring(handlers={"sync": lambda db, job: None})

    def other(_context):
        return Wiring(transactional={"sync": lambda db, job: None})

    with pytest.raises(ValueError, match="job kind 'sync' is registered twice"):
        wire([one, other], context(runtime))


def test_a_chat_platform_is_one_entry_in_the_mapping(runtime):
    """A platform the code has never heard of gets a room sink and pages with buttons from its mapping entry."""
    chat = FakeChat(name="other")
    with_it = context(runtime, other=ChatWorkspace(lambda: chat, "#incidents"),
                      unset=ChatWorkspace(lambda: None, "#nowhere"))
    sinks = announcements.sinks(with_it)
    assert [type(sink).__name__ for sink in sinks] == ["LogSink", "ChatSink"]
    assert isinstance(sinks[1], ChatSink) and sinks[1].platform_name == "other"
    chat_sender = notifications.senders(with_it).sender_for(ContactKind.chat)
    assert type(chat_sender).__name__ == "ChatPageSender"
    assert [type(sink).__name__ for sink in announcements.sinks(context(runtime))] == ["LogSink"]
