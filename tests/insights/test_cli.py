"""`warroom insights` against a real server holding the fixture history."""

from __future__ import annotations

import csv
import io

from warroom.accounts.models import TokenScope

from ..cli.conftest import Remote, cli, remote, server  # noqa: F401  (fixtures)
from .conftest import History


def test_cli_prints_the_weeks_and_a_chart_as_csv(remote: Remote, history: History) -> None:  # noqa: F811
    victor = remote.as_(history.factory.token(history.victor, TokenScope.read))
    out = victor.ok("insights", "--weeks", "3")
    assert "8 incidents since 2026-01-05 (3 weeks)" in out and "follow-ups overdue now: 3" in out
    assert "2026-01-12" in out and "1.08 / 1" in out
    assert "investigating 27.47, identified 10.5, monitoring 0.75, resolved 187.33" in out
    assert "api (4), search (4), db (1)" in out and "vault" not in out
    rows = list(csv.reader(io.StringIO(victor.ok("insights", "--weeks", "3", "--csv", "mtta"))))
    assert rows == [["Week starting (UTC)", "mean", "median"], ["2026-01-05", "0.75", "0.75"],
                    ["2026-01-12", "1.08", "1"], ["2026-01-19", "0.1", "0.1"]]
    assert victor.json("insights", "--weeks", "3")["summary"]["incidents"] == 8
    victor.fails("insights", "--weeks", "0", says="weeks must be a whole number from 1 to 104")
    victor.fails("insights", "--csv", "uptime", says="No chart 'uptime'")
