"""Every test in tests/faults/ carries the `fault` marker (`pytest -m fault`, `make test-faults`).

Pages go to receivers on loopback, which the outbound-address policy refuses unless WARROOM_OUTBOUND_ALLOW
allows it: every Warroom process a fault test starts (and the test's own settings) allows 127.0.0.0/8.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import wall_dated_clock
from warroom.core.clock import FakeClock

from .support import OUTBOUND_ALLOW

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.fault)


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_OUTBOUND_ALLOW", OUTBOUND_ALLOW)


@pytest.fixture
def clock() -> FakeClock:
    """What a fault test writes is dated on the clock its engine processes run on (their retention rounds
    included)."""
    return wall_dated_clock()
