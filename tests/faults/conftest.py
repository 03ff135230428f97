"""Every test in tests/faults/ carries the `fault` marker (`pytest -m fault`, `make test-faults`).

Pages go to receivers on loopback, which the outbound-address policy refuses unless WARROOM_OUTBOUND_ALLOW
allows it: every Warroom process a fault test starts (and the test's own settings) allows 127.0.0.0/8.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import OUTBOUND_ALLOW

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.fault)


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARROOM_OUTBOUND_ALLOW", OUTBOUND_ALLOW)
