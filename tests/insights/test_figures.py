"""The insights figures against the fixture's hand-computed answers."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import Factory
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.insights import service as insights
from warroom.runtime import Runtime

from .conftest import NOW, History

WEEKS = ["2026-01-05", "2026-01-12", "2026-01-19"]


def figures(history: History, viewer: str = "ada", **params: str) -> insights.Insights:
    user = getattr(history, viewer)
    with history.runtime.database.reading() as db:
        filters = insights.parse_filters(db=db, weeks=params.pop("weeks", "3"), **params)
        return insights.compute(db=db, actor=history.factory.actor(user), now=NOW, filters=filters)


def values(result: insights.Insights, chart: str) -> dict[str, list[float | None]]:
    found = result.charts[chart]
    return {s.name: list(s.values) for s in found.series}


def test_window_and_incidents_per_week_by_severity(history: History) -> None:
    result = figures(history)
    assert result.start.isoformat() == "2026-01-05T00:00:00+00:00"
    assert result.charts["incidents"].categories == WEEKS
    assert values(result, "incidents") == {"critical": [1, 2, 1], "major": [2, 1, 1]}
    assert result.summary["incidents"] == 8


def test_mtta_and_mttr_mean_and_median_per_week(history: History) -> None:
    result = figures(history)
    assert values(result, "mtta") == {"mean": [0.75, 1.08, 0.1], "median": [0.75, 1.0, 0.1]}
    assert values(result, "mttr") == {"mean": [2.33, 2.5, 6.0], "median": [2.0, 2.5, 6.0]}
    assert result.summary["mtta_hours_mean"] == 0.81
    assert result.summary["mttr_hours_mean"] == 3.0


def test_false_positive_rate_per_week(history: History) -> None:
    result = figures(history)
    assert values(result, "false_positives") == {"false-positive %": [33.33, 50.0, 0.0]}
    assert result.summary["false_positive_rate"] == 0.3333


def test_time_in_each_status(history: History) -> None:
    result = figures(history)
    assert result.charts["status_time"].categories == ["investigating", "identified", "monitoring", "resolved"]
    # investigating 219.75 h over 8 incidents; identified 31.5 h over 3; monitoring 0.75 h over 1;
    # resolved 1124 h over 6 (five still resolved now, I1 closed after 2 h).
    assert values(result, "status_time") == {"average hours": [27.47, 10.5, 0.75, 187.33]}


def test_followups_created_done_overdue_and_completion(history: History) -> None:
    result = figures(history)
    assert values(result, "followups") == {"created": [2, 3, 0], "done": [1, 0, 1]}
    assert result.summary["followups_created"] == 5
    assert result.summary["followups_done"] == 2
    assert result.summary["followup_completion"] == 0.4
    assert result.summary["followups_overdue_now"] == 3


def test_most_affected_services_hide_a_private_incident_from_non_participants(history: History) -> None:
    admin = figures(history)
    assert admin.charts["services"].categories == ["api", "search", "db", "vault"]
    assert values(admin, "services") == {"incidents": [4, 4, 1, 1]}
    outsider = figures(history, viewer="victor")
    assert outsider.charts["services"].categories == ["api", "search", "db"]
    assert values(outsider, "services") == {"incidents": [4, 4, 1]}
    # The private incident still counts in the aggregates everyone sees.
    assert outsider.summary["incidents"] == 8
    assert values(outsider, "incidents") == values(admin, "incidents")


def test_filters_by_severity_and_team(history: History) -> None:
    major = figures(history, severity="major")
    assert values(major, "incidents") == {"critical": [0, 0, 0], "major": [2, 1, 1]}
    assert values(major, "mttr") == {"mean": [2.5, None, None], "median": [2.5, None, None]}
    platform = figures(history, team="platform")
    assert values(platform, "incidents") == {"critical": [0, 1, 0], "major": [0, 0, 1]}
    # I4's follow-ups (F3, F4); bob owns F2 but it belongs to I1, not a platform incident.
    assert values(platform, "followups") == {"created": [0, 2, 0], "done": [0, 0, 1]}
    # Overdue now, as on the overdue page: owned by the team's members (bob's F2).
    assert platform.summary["followups_overdue_now"] == 1
    assert figures(history, severity="major").summary["followups_overdue_now"] == 2  # F0 (I0), F5 (I6)


def test_a_wider_window_and_fresh_data(history: History) -> None:
    wide = figures(history, weeks="12")
    assert len(wide.charts["incidents"].categories) == 12
    assert wide.summary["incidents"] == 9  # I0 (week of 2025-12-29) is inside twelve weeks
    history.incident("I9", "2026-01-21 11:00", history.alice, "major", ["search"])
    assert figures(history, weeks="12").summary["incidents"] == 10


def test_week_boundaries_are_exact(runtime: Runtime, factory: Factory, clock: FakeClock) -> None:
    alice = factory.user("alice")
    for when in ("2026-01-11T23:59:59.999000", "2026-01-12T00:00:00", "2026-01-18T23:59:59.999999"):
        clock.set(datetime.fromisoformat(when).replace(tzinfo=UTC))
        factory.incident(alice, severity="major")
    with runtime.database.reading() as db:
        found = insights.compute(db=db, actor=Actor.system(clock), now=NOW,
                                 filters=insights.parse_filters(db=db, weeks="3"))
    assert found.charts["incidents"].series[1].values == [1, 2, 0]
