"""On-call CLI test harness: the CLI against a real uvicorn server (tests/cli's fixtures), with the on-call
set-up of tests/oncall/api made through the REST API over loopback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from warroom.accounts.models import AccessRole, TokenScope
from warroom.core.clock import FakeClock

from ... import support
from ...cli.conftest import Cli, Remote, Server, cli, remote, server  # noqa: F401  (fixtures used here)
from ...factories import Factory
from ..api.conftest import LAYER, MONDAY_0800_UTC, POLICY, SCHEDULE, EngineRun, engine  # noqa: F401


@dataclass
class People:
    """Run the CLI as someone: ``people.ok("bob", "alert", "ack", "1")`` sends bob's token."""

    remote: Remote
    tokens: dict[str, str]

    def as_(self, name: str) -> Cli:
        return self.remote.as_(self.tokens[name])

    def ok(self, name: str, *args: str) -> str:
        return self.as_(name).ok(*args)

    def json(self, name: str, *args: str) -> Any:
        return self.as_(name).json(*args)

    def fails(self, name: str, *args: str, says: str) -> str:
        return self.as_(name).fails(*args, says=says)


@pytest.fixture
def people(factory: Factory, clock: FakeClock, request: pytest.FixtureRequest) -> People:
    """alice (admin), bob and dan (engineering), carol (customer-support), vic (viewer); on-call set up."""
    running: Server = request.getfixturevalue("server")
    cli_remote: Remote = request.getfixturevalue("remote")
    clock.set(MONDAY_0800_UTC)
    users = support.people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                                     "dan": "engineering", "carol": "customer-support", "vic": AccessRole.viewer},
                           password=None)
    scope = {"alice": TokenScope.admin, "vic": TokenScope.read}
    tokens = {name: factory.token(user, scope.get(name, TokenScope.write)) for name, user in users.items()}
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    with httpx.Client(base_url=f"{running.url}/api/v1", headers=headers) as admin:
        for path, body in (("/schedules", SCHEDULE), ("/schedules/eng-primary/layers", LAYER),
                           ("/escalation-policies", POLICY)):
            response = admin.post(path, json=body)
            assert response.status_code == 201, response.text
    return People(cli_remote, tokens)
