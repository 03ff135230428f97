"""Put a Warroom together: settings → database (migrated) → demo seed → engine handlers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from warroom.accounts.throttle import SignInThrottle
from warroom.config import Settings
from warroom.core.clock import Clock, SystemClock
from warroom.core.outbound import OutboundPolicy, Resolver, system_resolver
from warroom.db import migrate
from warroom.db.engine import Database
from warroom.db.group_commit import GroupCommitter
from warroom.demo import is_empty, load_builtin_playbooks, seed_demo
from warroom.engine.heartbeat import watch
from warroom.engine.registry import ChatWorkspace, EngineContext, Registration, wire
from warroom.engine.runner import Engine
from warroom.integrations.outbound import build_outbound
from warroom.oncall.alerts import routing
from warroom.ports import Outbound
from warroom.ports.chat import ChatPlatform, ChatRegistration, PlatformFactory
from warroom.throttles.store import SharedThrottles

if TYPE_CHECKING:
    from warroom.chat.strangers import Strangers

log = logging.getLogger("warroom")

Adapter = TypeVar("Adapter", bound=ChatPlatform)


def chat_registrations() -> list[ChatRegistration]:
    """The chat platforms Warroom speaks, each declared by its package; one line per platform."""
    from warroom.integrations.matrix.registration import MATRIX
    from warroom.integrations.slack.registration import SLACK

    return [SLACK, MATRIX]


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock = field(default_factory=SystemClock)
    chat_platforms: Sequence[ChatRegistration] = field(default_factory=chat_registrations)
    _committer: GroupCommitter | None = field(default=None, init=False, repr=False)
    sign_in_throttle: SignInThrottle = field(default_factory=SignInThrottle, init=False, repr=False)
    # Throttle counts and used form tokens, in the database: shared by every process on it.
    throttles: SharedThrottles = field(init=False, repr=False)
    _chat_workspaces: dict[str, ChatWorkspace] | None = field(default=None, init=False, repr=False)
    _chat_strangers: Strangers | None = field(default=None, init=False, repr=False)
    # How webhook hosts are resolved when checked (tests answer for names with no DNS behind them).
    resolver: Resolver = field(default_factory=lambda: system_resolver, init=False, repr=False)

    def __post_init__(self) -> None:
        self.database.session_info[routing.CATCH_ALL] = self.settings.unrouted_page
        self.throttles = SharedThrottles(self.database)
        self.sign_in_throttle.shared = self.throttles

    @property
    def committer(self) -> GroupCommitter:
        """Group commit for the ingest endpoints (writer threads start on first use)."""
        if self._committer is None:
            self._committer = GroupCommitter(self.database)
        return self._committer

    def stop_committer(self) -> None:
        if self._committer is not None:
            self._committer.close()

    @property
    def secret_key(self) -> str:
        return self.settings.resolved_secret_key()

    @property
    def outbound(self) -> OutboundPolicy:
        """Where URLs people type in (webhooks) may point: public addresses and WARROOM_OUTBOUND_ALLOW."""
        return OutboundPolicy.parse(self.settings.outbound_allow, self.resolver)

    def effects(self) -> Outbound:
        """The ports' implementations settings chose (mail, webhooks, GitHub issues), for the domains."""
        return build_outbound(self.settings)

    def chat_strangers(self) -> Strangers:
        """Chat people found to be no Warroom user lately (kept in memory, asked again after a while)."""
        if self._chat_strangers is None:
            from warroom.chat.strangers import Strangers

            self._chat_strangers = Strangers()
        return self._chat_strangers

    def chat_workspaces(self) -> Mapping[str, ChatWorkspace]:
        """Each chat platform by its settings name: how to reach it (None while not configured), where it
        announces. Made once from ``chat_platforms``; each adapter is made on first use."""
        if self._chat_workspaces is None:
            self._chat_workspaces = chat_workspaces(self.chat_platforms, self.settings)
        return self._chat_workspaces

    def configured_chat_platforms(self) -> list[str]:
        """The names of the chat platforms whose settings are filled in, in registration order."""
        return [name for name, workspace in self.chat_workspaces().items() if workspace.platform() is not None]

    def chat_platform(self, name: str, adapter: type[Adapter]) -> Adapter | None:
        """The platform of this name as its own adapter (for a listener that needs more than ``ChatPlatform``),
        or None while it is not configured."""
        workspace = self.chat_workspaces().get(name)
        platform = workspace.platform() if workspace is not None else None
        if platform is not None and not isinstance(platform, adapter):
            raise TypeError(f"The chat platform '{name}' is a {type(platform).__name__}, not a {adapter.__name__}.")
        return platform

    def engine(self) -> Engine:
        """The engine with every package's job handlers, managers and dead-job hooks (their ``jobs.py``)."""
        context = EngineContext(self.settings, self.database, self.clock, self.secret_key, self.effects(),
                                self.outbound, self.chat_workspaces())
        wiring = wire(_engine_registrations(), context)
        return watch(Engine(self.database, self.clock, dict(wiring.handlers), dict(wiring.transactional),
                            list(wiring.managers), dict(wiring.on_dead), dict(wiring.preparers),
                            lease=timedelta(seconds=self.settings.engine_lease_seconds)), self.settings, self.outbound)


def chat_workspaces(registrations: Sequence[ChatRegistration], settings: Settings) -> dict[str, ChatWorkspace]:
    """The mapping by name, in the order given; a name two platforms claim is a programming error, said at once."""
    found: dict[str, ChatWorkspace] = {}
    for registration in registrations:
        if registration.name in found:
            raise ValueError(f"chat platform '{registration.name}' is registered twice")
        found[registration.name] = ChatWorkspace(_connected_once(registration, settings),
                                                 registration.announce_room(settings))
    return found


def _connected_once(registration: ChatRegistration, settings: Settings) -> PlatformFactory:
    """The platform's adapter, made on first use and kept (None, kept too, while it is not configured); the
    engine thread and a listener asking at once still share one."""
    lock = threading.Lock()
    made: list[ChatPlatform | None] = []

    def platform() -> ChatPlatform | None:
        with lock:
            if not made:
                made.append(registration.connect(settings))
            return made[0]

    return platform


def _engine_registrations() -> list[Registration]:
    """The packages that run engine work; managers tick in this order."""
    from warroom.announcement_days import jobs as announcement_days
    from warroom.announcements import jobs as announcements
    from warroom.chat import jobs as chat
    from warroom.followups import jobs as followups
    from warroom.incidents import jobs as incidents
    from warroom.notifications import jobs as notifications
    from warroom.oncall import jobs as oncall
    from warroom.related_issues import jobs as related_issues
    from warroom.reports import jobs as reports
    from warroom.retrospectives import jobs as retrospectives
    from warroom.statuspage import jobs as statuspage

    return [incidents.register, oncall.register, announcement_days.register, chat.register, followups.register,
            announcements.register, notifications.register, reports.register, statuspage.register,
            retrospectives.register, related_issues.register]


def build_runtime(settings: Settings, *, clock: Clock | None = None, migrate_db: bool = True) -> Runtime:
    url = settings.resolved_database_url()
    if migrate_db:
        migrate.upgrade(url)
    database = Database(url, prepared_statements=settings.database_prepared_statements)
    return Runtime(settings, database, clock or SystemClock())


def seed_if_empty(runtime: Runtime) -> bool:
    """Seed the demo organisation into an empty database; load the built-in playbooks wherever none exist."""
    from warroom.core.actor import Actor
    from warroom.playbooks import service as playbooks

    with runtime.database.writing() as db:
        _one_seeder_at_a_time(db)
        if is_empty(db) and runtime.settings.seed_demo:
            seed_demo(db=db, clock=runtime.clock)
            return True
        if not playbooks.list_playbooks(db=db):
            load_builtin_playbooks(db=db, actor=Actor.system(runtime.clock))
        return False


# Any constant shared by every Warroom process: the key of the PostgreSQL advisory lock held while seeding.
_SEED_LOCK = 0x5741_5252_4F4F_4D01


def _one_seeder_at_a_time(db: Session) -> None:
    """Processes that start together (uvicorn --workers, serve beside an engine) seed one after another.

    On PostgreSQL a transaction-scoped advisory lock makes the second wait until the first has committed, so it
    then finds the seed done; on SQLite a writer already holds the database for its whole transaction.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
