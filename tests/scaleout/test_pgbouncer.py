"""Warroom behind a real PgBouncer in transaction mode, as docs/scaling.md sets it up.

The pooled URL carries every transaction; LISTEN goes to PostgreSQL itself (WARROOM_LISTEN_DATABASE_URL); and
server-side prepared statements are off (WARROOM_DATABASE_PREPARED_STATEMENTS=false): with them on, psycopg
prepares a statement run often on one client connection, PgBouncer hands the next transaction another server
connection, and PostgreSQL answers `prepared statement "_pg3_…" does not exist`.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
import sqlalchemy as sa

from tests.factories import Factory
from tests.support import drain
from tests.support.pgbouncer import pgbouncer_binary, pgbouncer_process
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.live import notify
from warroom.notifications.models import DeliveryStatus, Notification
from warroom.oncall.alerts import service as alerts
from warroom.runtime import Runtime, build_runtime

pytestmark = pytest.mark.postgres_only

WRITERS = 6
ALERTS_EACH = 15
FORM_POSTS = 3


def require_pgbouncer() -> None:
    if pgbouncer_binary() is not None:
        return
    if os.environ.get("WARROOM_REQUIRE_POSTGRES") == "1":
        pytest.fail("pgbouncer is not installed (Debian package pgbouncer; `make browser` installs it) and "
                    "WARROOM_REQUIRE_POSTGRES=1: the PgBouncer test must run")
    pytest.skip("needs pgbouncer (Debian package pgbouncer)")


@pytest.fixture
def pooled(settings: Settings, database_url: str, clock: FakeClock) -> Iterator[Runtime]:
    """A runtime built as `warroom serve` builds it, its database URL PgBouncer's."""
    require_pgbouncer()
    with pgbouncer_process(database_url) as pooled_url:
        config = settings.model_copy(update={"database_url": pooled_url, "listen_database_url": database_url,
                                             "database_prepared_statements": False})
        runtime = build_runtime(config, clock=clock)  # migrations (none left to run) go through PgBouncer too
        try:
            yield runtime
        finally:
            runtime.database.dispose()


def raise_side_by_side(runtime: Runtime, user_id: int) -> Counter[str]:
    """WRITERS threads each raise ALERTS_EACH alerts paging the user and find each again, one transaction each (the
    same statements again and again, as a busy process runs them); the errors seen."""
    errors: Counter[str] = Counter()

    def writer(n: int) -> None:
        for k in range(ALERTS_EACH):
            try:
                with runtime.database.writing() as db:
                    alerts.raise_alert(db=db, actor=Actor.system(runtime.clock), spec=alerts.AlertSpec(
                        message=f"checkout {n}-{k} failing", alias=f"checkout-{n}-{k}",
                        responders=[{"type": "user", "id": user_id}]))
                with runtime.database.writing() as db:  # as an Opsgenie caller's close finds its alert
                    alerts.find_alert(db=db, identifier=f"checkout-{n}-{k}", kind="alias")
                for _ in range(FORM_POSTS):  # the report form's throttle, shared through the database
                    runtime.throttles.hit(f"report:192.0.2.{n}", runtime.clock.now(), limit=1000,
                                          window=timedelta(hours=1))
            except Exception as error:
                errors[f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_behind_pgbouncer_in_transaction_mode_every_alert_is_stored_and_paged_and_commits_are_heard(
        pooled: Runtime, factory: Factory) -> None:
    bob = factory.user("bob")  # no contact methods: paged by (logged) mail
    info = notify.conninfo(pooled.settings.resolved_listen_url())
    assert info is not None
    with psycopg.connect(info, autocommit=True) as listener:
        listener.execute(f"LISTEN {notify.CHANNEL}")
        assert raise_side_by_side(pooled, bob.id) == Counter()
        heard = {topic for note in listener.notifies(timeout=1.0) for topic in note.payload.split("\n")}
    assert "jobs" in heard  # a commit through the pooler is heard on PostgreSQL's own connection
    drain(pooled)  # the engine's claims, sends (8 at a time) and records, through PgBouncer
    with pooled.database.reading() as db:
        statuses = Counter(db.scalars(sa.select(Notification.status)))
    assert statuses == Counter({DeliveryStatus.sent: WRITERS * ALERTS_EACH})
