"""Notification test helpers: people with contact rules, paging them, running the engine, real receivers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial

import pytest
import sqlalchemy as sa

from warroom.accounts.models import AccessRole, User
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.engine.runner import Engine
from warroom.notifications import service
from warroom.notifications.delivery import PagesReadAhead, make_notify_handler
from warroom.notifications.models import ContactKind, Notification
from warroom.notifications.planning import NOTIFY_JOB
from warroom.notifications.senders import SenderRegistry, build_senders
from warroom.oncall.alerts import service as alerts
from warroom.oncall.alerts.models import Priority
from warroom.oncall.alerts.service import AlertSpec, EventView
from warroom.ports.chat import ChatPlatform
from warroom.runtime import Runtime

from .. import support
from ..factories import Factory
from .servers import FakeTwilio, Inbox, twilio_server

Rule = tuple[ContactKind, str, int]  # kind, address, delay in minutes


# Every column of every row, so a test can prove refused input wrote nothing at all.
stored = partial(support.stored, leave_out=())


@dataclass
class Pager:
    runtime: Runtime
    factory: Factory
    clock: FakeClock

    @property
    def system(self) -> Actor:
        return Actor.system(self.clock)

    def person(self, handle: str, rules: Sequence[Rule] = (), access: AccessRole = AccessRole.responder) -> User:
        user = self.factory.user(handle, access)
        with self.runtime.database.writing() as db:
            for kind, address, delay in rules:
                method = service.add_contact_method(db=db, actor=self.system, user=user, kind=kind, address=address,
                                                    outbound=self.runtime.outbound)
                service.add_rule(db=db, actor=self.system, user=user, contact_method_id=method.id,
                                 delay_minutes=delay)
        return user

    def page(self, user: User, message: str = "Checkout fails", priority: Priority = Priority.p1,
             description: str = "") -> int:
        spec = AlertSpec(message=message, priority=priority, description=description,
                         responders=[{"type": "user", "id": user.id}])
        with self.runtime.database.writing() as db:
            return alerts.raise_alert(db=db, actor=self.system, spec=spec).alert_id

    def acknowledge(self, alert_id: int, user: User) -> None:
        with self.runtime.database.writing() as db:
            alerts.acknowledge(db=db, actor=self.factory.actor(user), alert_id=alert_id)

    def senders(self, chat: ChatPlatform | None = None) -> SenderRegistry:
        return build_senders(self.runtime.settings, secret_key=self.runtime.secret_key, clock=self.clock,
                             effects=self.runtime.effects(), chat=chat)

    def engine(self, senders: SenderRegistry | None = None) -> Engine:
        """The runtime's engine (as `warroom serve` builds it), optionally with other senders."""
        engine = self.runtime.engine()
        if senders is not None:
            read_ahead = PagesReadAhead(self.clock)
            engine.handlers[NOTIFY_JOB] = make_notify_handler(self.runtime.database, senders, self.clock,
                                                              self.runtime.settings.base_url, read_ahead)
            engine.preparers[NOTIFY_JOB] = read_ahead.read
        return engine

    def run(self, engine: Engine, ticks: int = 3) -> None:
        """Enough ticks for the escalation step, then the notifications it queues."""
        for _ in range(ticks):
            engine.tick()

    def notifications(self, alert_id: int) -> list[Notification]:
        with self.runtime.database.reading() as db:
            return list(db.scalars(sa.select(Notification).where(Notification.alert_id == alert_id)
                                   .order_by(Notification.id)))

    def events(self, alert_id: int, kind: str | None = None) -> list[EventView]:
        with self.runtime.database.reading() as db:
            found = alerts.events(db=db, alert_id=alert_id)
        return [e for e in found if kind is None or e.kind == kind]

    def use_smtp(self, inbox: Inbox) -> None:
        self.runtime.settings.smtp_host = inbox.host
        self.runtime.settings.smtp_port = inbox.port
        self.runtime.settings.mail_from = "Warroom <warroom@warroom.test>"

    def use_twilio(self, fake: FakeTwilio) -> None:
        self.runtime.settings.twilio_account_sid = fake.account_sid
        self.runtime.settings.twilio_auth_token = fake.auth_token
        self.runtime.settings.twilio_from = "+15005550006"
        self.runtime.settings.twilio_base_url = fake.base_url


@pytest.fixture
def pager(runtime: Runtime, factory: Factory, clock: FakeClock) -> Pager:
    return Pager(runtime, factory, clock)


inbox = support.inbox_fixture(point=None)  # tests point the settings themselves (Pager.use_smtp)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with twilio_server() as server:
        yield server
