"""What each package gives the engine: its job handlers, managers and dead-job hooks, made from settings.

A package that runs engine work has a ``jobs.py`` with ``register(context) -> Wiring``; the composition root
(``runtime.py``) lists the packages, hands each the same ``EngineContext`` and joins their wiring with
``wire``, which refuses two packages claiming one job kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from warroom.config import Settings
from warroom.core.clock import Clock
from warroom.core.outbound import OutboundPolicy
from warroom.db.engine import Database
from warroom.engine.runner import Handler, Manager, Preparer, TransactionalHandler
from warroom.ports import Outbound
from warroom.ports.chat import ChatPlatform, PlatformFactory


@dataclass(frozen=True)
class ChatWorkspace:
    """One chat platform settings name: how to reach it (None while it is not configured) and where it
    announces."""

    platform: PlatformFactory
    announce_room: str


@dataclass(frozen=True)
class EngineContext:
    settings: Settings
    database: Database
    clock: Clock
    secret_key: str
    effects: Outbound
    outbound: OutboundPolicy  # where URLs people typed in may point
    chat: Mapping[str, ChatWorkspace] = field(default_factory=dict)  # by platform name, in settings order

    def chat_platforms(self) -> dict[str, ChatPlatform]:
        """The chat platforms that are configured, by name."""
        found = {name: workspace.platform() for name, workspace in self.chat.items()}
        return {name: platform for name, platform in found.items() if platform is not None}


@dataclass(frozen=True)
class Wiring:
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    transactional: Mapping[str, TransactionalHandler] = field(default_factory=dict)
    managers: Sequence[Manager] = ()
    on_dead: Mapping[str, TransactionalHandler] = field(default_factory=dict)
    preparers: Mapping[str, Preparer] = field(default_factory=dict)  # for kinds in handlers


Registration = Callable[[EngineContext], Wiring]


def wire(registrations: Iterable[Registration], context: EngineContext) -> Wiring:
    """Every package's wiring as one; a job kind two packages claim is a programming error, said at once."""
    handlers: dict[str, Handler] = {}
    transactional: dict[str, TransactionalHandler] = {}
    managers: list[Manager] = []
    on_dead: dict[str, TransactionalHandler] = {}
    preparers: dict[str, Preparer] = {}
    for register in registrations:
        wiring = register(context)
        for kind in [*wiring.handlers, *wiring.transactional]:
            if kind in handlers or kind in transactional:
                raise ValueError(f"job kind '{kind}' is registered twice ({register.__module__})")
        for kind in wiring.preparers:
            if kind not in wiring.handlers:
                raise ValueError(f"job kind '{kind}' has a preparer but no handler ({register.__module__})")
        handlers.update(wiring.handlers)
        transactional.update(wiring.transactional)
        managers.extend(wiring.managers)
        on_dead.update(wiring.on_dead)
        preparers.update(wiring.preparers)
    return Wiring(handlers, transactional, managers, on_dead, preparers)
