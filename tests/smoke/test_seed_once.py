"""Several processes starting on one empty PostgreSQL database (uvicorn --workers 2, or serve beside an engine)
seed it once: the second waits for the first's seed and then finds it done, instead of failing on a duplicate."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

import warroom.runtime as runtime_module
from warroom.db.engine import Database
from warroom.playbooks.models import Playbook
from warroom.runtime import Runtime, seed_if_empty


@pytest.mark.postgres_only
def test_two_processes_starting_together_seed_the_playbooks_once(runtime: Runtime, monkeypatch) -> None:
    seeding = threading.Event()
    release = threading.Event()
    real_load = runtime_module.load_builtin_playbooks

    def load_and_hold(**kwargs: Any) -> None:
        real_load(**kwargs)
        seeding.set()
        release.wait(10)  # the first process's seed stays uncommitted while the second one starts

    monkeypatch.setattr(runtime_module, "load_builtin_playbooks", load_and_hold)
    second = Runtime(runtime.settings, Database(runtime.settings.resolved_database_url()), runtime.clock)
    errors: list[BaseException] = []

    def start(rt: Runtime) -> None:
        try:
            seed_if_empty(rt)
        except BaseException as error:  # the test reports what the second start raised
            errors.append(error)

    first_start = threading.Thread(target=start, args=(runtime,))
    first_start.start()
    assert seeding.wait(10)
    second_start = threading.Thread(target=start, args=(second,))
    second_start.start()
    time.sleep(1)  # the second start reaches the database while the first seed is still open
    release.set()
    first_start.join(20)
    second_start.join(20)
    second.database.dispose()
    assert errors == []
    with runtime.database.reading() as db:
        slugs = list(db.scalars(sa.select(Playbook.slug)))
    assert slugs and len(slugs) == len(set(slugs))
