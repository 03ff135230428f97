"""Deadlocks and serialization failures between processes are retried by the group commit, never answered 5xx.

Two `uvicorn --workers 2` processes on PostgreSQL, 10,000 events over 5 dedup keys, used to answer 621 of them
500: a batch of one process locked alert rows in another order than a batch of the other, PostgreSQL aborted
one of them as a deadlock, and the whole batch was refused.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.support import fault_table, pagerduty_key, trigger
from warroom.accounts import service as accounts
from warroom.accounts.models import Team
from warroom.api.app import create_app
from warroom.core.actor import Actor
from warroom.db.engine import Database
from warroom.db.group_commit import GroupCommitter
from warroom.oncall.alerts.models import Alert
from warroom.runtime import Runtime

pytestmark = pytest.mark.postgres_only

EVENTS = 2_000
KEYS = 5
CONCURRENCY = 64  # requests in flight at once, spread over both "processes"


@pytest.fixture
def second_runtime(runtime: Runtime) -> Iterator[Runtime]:
    """Another Warroom on the same database, with its own connections and writers: a second process."""
    other = Runtime(runtime.settings, Database(runtime.settings.resolved_database_url()), runtime.clock)
    yield other
    other.stop_committer()
    other.database.dispose()


def teams(runtime: Runtime, *slugs: str) -> list[int]:
    with runtime.database.writing() as db:
        return [accounts.create_team(db=db, actor=Actor.system(runtime.clock), slug=s, name=s).id for s in slugs]


def test_a_deadlock_between_two_writers_is_retried_not_refused(runtime: Runtime, second_runtime: Runtime) -> None:
    first, second = teams(runtime, "payments", "search")
    crossed = threading.Barrier(2, timeout=10)

    def lock_in_order(ids: tuple[int, int]) -> object:
        met: list[bool] = []

        def work(db: sa.orm.Session) -> str:
            for n, team_id in enumerate(ids):
                db.execute(sa.select(Team.id).where(Team.id == team_id).with_for_update()).one()
                if n == 0 and not met:  # the first attempt only: both hold one row and want the other's
                    met.append(True)
                    crossed.wait()
            return f"locked {ids}"

        return work

    one, two = GroupCommitter(runtime.database, writers=1), GroupCommitter(second_runtime.database, writers=1)

    async def both() -> list[object]:
        return await asyncio.gather(one.run(lock_in_order((first, second))),
                                    two.run(lock_in_order((second, first))), return_exceptions=True)

    try:
        results = asyncio.run(both())
    finally:
        one.close()
        two.close()
    assert results == [f"locked {(first, second)}", f"locked {(second, first)}"], results


async def _hammer(apps: list[httpx.AsyncClient], key: str) -> dict[int, int]:
    statuses: dict[int, int] = {}
    numbers = iter(range(EVENTS))

    async def sender(client: httpx.AsyncClient) -> None:
        for n in numbers:
            response = await client.post("/v2/enqueue", json=trigger(key, f"checkout-{n % KEYS}", n))
            statuses[n] = response.status_code

    await asyncio.gather(*(sender(apps[i % len(apps)]) for i in range(CONCURRENCY)))
    return statuses


def test_two_processes_hammering_five_dedup_keys_answer_no_5xx_and_count_every_event(
        runtime: Runtime, second_runtime: Runtime) -> None:
    teams(runtime, "payments")
    key = pagerduty_key(runtime, "payments")
    runtimes = [runtime, second_runtime]

    async def run() -> dict[int, int]:
        clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt, run_engine=False)),
                                     base_url="http://warroom.test") for rt in runtimes]
        try:
            return await _hammer(clients, key)
        finally:
            for client in clients:
                await client.aclose()

    try:
        statuses = asyncio.run(run())
    finally:
        for rt in runtimes:
            rt.stop_committer()
    refused = {n: s for n, s in statuses.items() if s >= 500}
    fault_table("deadlocks", events=EVENTS, keys=KEYS, processes=2, five_xx=len(refused))
    assert not refused, f"{len(refused)} of {EVENTS} events answered 5xx: {sorted(set(refused.values()))}"
    assert sorted(set(statuses.values())) == [202]
    with runtime.database.reading() as db:
        counts = dict(db.execute(sa.select(Alert.alias, Alert.count)).all())
    assert counts == {f"checkout-{k}": EVENTS // KEYS for k in range(KEYS)}  # every event counted, once
