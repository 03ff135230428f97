"""`warroom incident followup` against a real server."""

from __future__ import annotations

from typing import Any

from ..cli.conftest import cli, remote, server  # noqa: F401  (fixtures)
from ..factories import Factory


def test_followup_from_the_cli(remote: Any, cli: Any, factory: Factory) -> None:  # noqa: F811
    bob = factory.user("bob")
    factory.user("carol")
    factory.incident(bob)
    as_bob = remote.as_(factory.token(bob))
    out = as_bob.ok("incident", "followup", "INC-1", "Add", "an", "alert", "--owner", "@carol", "--github", "new")
    assert "Follow-up #1 on INC-1 for @carol: Add an alert · GitHub issue pending" in out
    made = as_bob.json("incident", "followup", "INC-1", "Later", "--json")
    assert made["id"] == 2 and made["github"]["state"] == "none"
    as_bob.fails("incident", "followup", "INC-1", "Fix", "--due", "tomorrow", says="YYYY-MM-DD")
