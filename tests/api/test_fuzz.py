"""Schemathesis over every operation of ``/openapi.json``: no input makes a 5xx, and every answer is documented.

In-process (the ASGI app, no network), on SQLite, once as an admin with credentials and once with none; the run
is in three parts (credentials in two halves of the operations, then none) that the suite's workers share.
Checks: not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance.
Generation is derandomised with a fixed seed and a small number of examples per operation, so the run is the
same every time and its length is bounded (the test prints its figures).

With credentials, the coverage phase sends each operation's boundary values (integers at and past their
limits, missing and wrong-typed fields, other media types) and the fuzzing phase random ones that fit the
schema and that break it. Without credentials every operation is fuzzed the same way (nearly all answer 401;
what is read before the key is checked, a body, must still never be a 5xx).
"""

from __future__ import annotations

import logging
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from schemathesis.engine import Status, events, from_schema

from warroom.accounts.models import AccessRole, ApiToken, TokenScope
from warroom.core.security import hash_secret
from warroom.oncall.keys.models import KeyKind

from ..compat.conftest import Keys
from ..conftest import _is_postgres

pytestmark = [pytest.mark.fuzz,
              pytest.mark.skipif(_is_postgres(), reason="the fuzz run is SQLite's; the API is the same on both")]

CHECKS = ("not_a_server_error", "status_code_conformance", "response_schema_conformance", "content_type_conformance")
EXAMPLES = 3  # per operation, phase and generation mode
SEED = 11
# A raw mail (POST /reports/inbound) goes on the wire as the bytes generated for it.
schemathesis.serializer.alias("message/rfc822", "application/octet-stream")


def config(*, coverage: bool) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED, "workers": 1, "suppress-health-check": ["all"], "continue-on-failure": True,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "no-shrink": True},
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": coverage},
                   "fuzzing": {"enabled": True}, "stateful": {"enabled": False}},
    })


@dataclass
class Figures:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


def run(schema: Any, figures: Figures, who: str) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            figures.operations.add(str(event.label))
            figures.requests += len(event.recorder.interactions)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    figures.statuses[interaction.response.status_code] += 1
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        figures.failures.append(f"{event.label} [{who}] {check.name}: {failure.title}: "
                                                f"{failure.message[:300]}\n{check.failure_info.code_sample}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            figures.failures.append(f"{getattr(event, 'label', '')} [{who}] error: {event.info.format()[:1500]}")


class Credentials:
    """What a monitoring tool or an admin sends: GenieKey on /v2/, the Alertmanager key, else an admin token.

    A generated DELETE /tokens/{id} may revoke the admin's token: it is checked before each request and
    replaced when it was.
    """

    def __init__(self, runtime: Any, factory: Any) -> None:
        self.runtime, self.factory = runtime, factory
        self.admin = factory.user("ada", AccessRole.admin)
        keys = Keys(runtime, factory)
        self.genie = keys.make(KeyKind.opsgenie)
        self.alertmanager = keys.make(KeyKind.alertmanager)
        self.token = self._new_token()

    def _new_token(self) -> str:
        return str(self.factory.token(self.admin, TokenScope.admin))

    def _still_valid(self) -> bool:
        with self.runtime.database.reading() as db:
            live = db.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
                ApiToken.token_hash == hash_secret(self.token), ApiToken.revoked_at.is_(None)))
        return bool(live)

    def header(self, path: str) -> str:
        if path.startswith("/v2/"):
            return f"GenieKey {self.genie}"
        if path.endswith("/integrations/alertmanager"):
            return f"Bearer {self.alertmanager}"
        if not self._still_valid():
            self.token = self._new_token()
        return f"Bearer {self.token}"


# The run in parts the suite's workers share: the operations with credentials in two halves (by a stable hash
# of each operation's label), and every operation without.
PARTS = {"credentials, first half": ("credentials", 0), "credentials, second half": ("credentials", 1),
         "no credentials": ("no credentials", None)}


def in_half(half: int | None) -> Any:
    def matches(context: Any) -> bool:
        return half is None or zlib.crc32(context.operation.label.encode()) % 2 == half
    return matches


@pytest.mark.parametrize("part", list(PARTS))
def test_no_generated_request_makes_a_server_error(part, client, runtime, factory, caplog):
    caplog.set_level(logging.CRITICAL, logger="warroom")  # 4xx by the thousand; failures are collected below
    who, half = PARTS[part]
    figures = Figures()
    started = time.monotonic()
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app, config=config(coverage=who == "credentials"))
    if who == "credentials":
        credentials = Credentials(runtime, factory)

        @schema.auth(refresh_interval=None)
        class Signed:
            def get(self, case: Any, context: Any) -> str:
                return credentials.header(case.operation.path)

            def set(self, case: Any, data: str, context: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": data}

    run(schema.include(in_half(half)), figures, who)

    took = time.monotonic() - started
    labels = [f"{method.upper()} {path}" for path, ops in client.get("/openapi.json").json()["paths"].items()
              for method in ops]
    expected = [label for label in labels if half is None or zlib.crc32(label.encode()) % 2 == half]
    print(f"\nschemathesis {schemathesis.__version__} [{part}]: {len(figures.operations)} of {len(expected)} "
          f"operations, {figures.requests} requests in {took:.0f} s, {figures.server_errors()} answered 5xx, "
          f"statuses {dict(sorted(figures.statuses.items()))}, {len(figures.failures)} failures")
    assert expected and sorted(figures.operations) == sorted(expected)
    assert not figures.failures, "\n\n".join(figures.failures)
