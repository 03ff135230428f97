"""On-call test helpers: a small organisation, and a snapshot of everything stored.

``stored(runtime)`` reads every row of every table, so a test can prove that refused input wrote
nothing at all — not just that one count stayed put.
"""

from __future__ import annotations

from functools import partial

import pytest

from warroom.accounts.models import AccessRole, User
from warroom.core.actor import Actor

from .. import support
from ..factories import Factory

# Every column of every row: nothing here signs in with a token, so nothing is left out.
stored = partial(support.stored, leave_out=())


@pytest.fixture
def people(factory: Factory) -> dict[str, User]:
    """alice (admin), bob and dan (engineering), carol (customer-support), erin (no team), vic (viewer)."""
    return support.people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                                    "carol": "customer-support", "dan": "engineering", "erin": (),
                                    "vic": AccessRole.viewer})


@pytest.fixture
def admin(factory: Factory, people: dict[str, User]) -> Actor:
    return factory.actor(people["alice"])
