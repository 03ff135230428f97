"""On-call test helpers: a small organisation, and a snapshot of everything stored.

``stored(runtime)`` reads every row of every table, so a test can prove that refused input wrote
nothing at all — not just that one count stayed put.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

import warroom.db.models  # noqa: F401  (registers every table on the metadata)
from warroom.accounts.models import AccessRole, User
from warroom.core.actor import Actor
from warroom.db.base import Base
from warroom.runtime import Runtime

from ..factories import Factory


def stored(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    with runtime.database.reading() as db:
        for table in Base.metadata.sorted_tables:
            query = sa.select(*table.columns).order_by(*table.primary_key.columns)
            state[table.name] = [tuple(row) for row in db.execute(query)]
    return state


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    """alice (admin), bob and dan (engineering), carol (customer-support), erin (no team), vic (viewer)."""
    return {
        "alice": factory.user("alice", AccessRole.admin, teams=("engineering",)),
        "bob": factory.user("bob", teams=("engineering",)),
        "carol": factory.user("carol", teams=("customer-support",)),
        "dan": factory.user("dan", teams=("engineering",)),
        "erin": factory.user("erin"),
        "vic": factory.user("vic", AccessRole.viewer),
    }


@pytest.fixture
def admin(factory: Factory, people: dict[str, User]) -> Actor:
    return factory.actor(people["alice"])
