"""The weekly roll-up gives exactly the figures computed from the incidents, before and after it is kept, and
after every kind of change to a past week (made through the flows or by plain SQL statements).

Each change is checked twice: the figures must differ from before the change (so the change reached a kept
week), and equal the direct computation without the roll-up being kept again (so the change marked its week).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.followups.models import FollowUp
from warroom.incidents.models import Incident
from warroom.insights import service as insights
from warroom.insights.models import InsightWeek, InsightWeekChange, StatusPeriod
from warroom.runtime import Runtime

from .conftest import NOW, History
from .test_pages import bearer, signed_in

VIEWS = [("ada", "3", ""), ("victor", "3", ""), ("ada", "12", "critical"), ("victor", "12", "major"),
         ("ada", "104", ""), ("victor", "104", "major")]


def result(history: History, viewer: str, weeks: str, severity: str, *, kept: bool) -> dict[str, Any]:
    actor = history.factory.actor(getattr(history, viewer))
    with history.runtime.database.reading() as db:
        filters = insights.parse_filters(db=db, weeks=weeks, severity=severity)
        how = insights.compute if kept else insights.compute_directly
        found = how(db=db, actor=actor, now=NOW, filters=filters)
    return found.as_dict()


def keep(history: History) -> None:
    actor = history.factory.actor(history.ada)
    with history.runtime.database.reading() as db:
        found = insights.compute(db=db, actor=actor, now=NOW, filters=insights.parse_filters(db=db, weeks="104"))
    insights.keep(writing=history.runtime.database.writing, result=found)


def assert_same_everywhere(history: History) -> dict[tuple[str, str, str], dict[str, Any]]:
    seen = {}
    for view in VIEWS:
        direct = result(history, *view, kept=False)
        assert result(history, *view, kept=True) == direct, view
        seen[view] = direct
    return seen


def kept_weeks(runtime: Runtime) -> int:
    with runtime.database.reading() as db:
        changed = sa.select(InsightWeekChange.id).where(InsightWeekChange.week == InsightWeek.week).exists()
        return int(db.scalar(sa.select(sa.func.count()).select_from(InsightWeek).where(sa.not_(changed))) or 0)


def bulk_history(runtime: Runtime, count: int = 60, seed: int = 7) -> list[int]:
    """Incidents written as a bulk import would write them: back-dated, with status periods, over 30 weeks."""
    rng = random.Random(seed)
    rows, periods = [], []
    for number in range(count):
        declared = NOW - timedelta(weeks=30) + timedelta(minutes=rng.randint(0, 30 * 7 * 24 * 60))
        declared = min(declared, NOW - timedelta(hours=1)).replace(second=rng.randint(0, 59))
        acked = declared + timedelta(seconds=rng.randint(30, 7200)) if rng.random() < 0.8 else None
        resolved = declared + timedelta(seconds=rng.randint(600, 90000)) if rng.random() < 0.85 else None
        resolved = resolved if resolved and resolved < NOW else None
        rows.append({"id": 1000 + number, "title": f"Imported {number}", "severity": rng.choice(("critical", "major")),
                     "status": "resolved" if resolved else "investigating", "security": rng.random() < 0.15,
                     "affected_services": rng.sample(["api", "db", "search", "mail", "vault"], rng.randint(0, 2)),
                     "resolution": None if resolved is None else rng.choice(("fixed", "fixed", "false_positive")),
                     "declared_at": declared, "acknowledged_at": acked if acked and acked < NOW else None,
                     "resolved_at": resolved, "updated_at": declared, "last_status_update_at": declared})
        seconds = int((resolved - declared).total_seconds()) if resolved else None
        periods.append({"incident_id": 1000 + number, "status": "investigating", "started_at": declared,
                        "ended_at": resolved, "seconds": seconds})
        if resolved:
            periods.append({"incident_id": 1000 + number, "status": "resolved", "started_at": resolved,
                            "ended_at": None, "seconds": None})
    followups = []
    for row in rows[:40]:
        created = row["declared_at"] + timedelta(hours=rng.randint(1, 200))
        done = created + timedelta(hours=rng.randint(1, 500)) if rng.random() < 0.6 else None
        followups.append({"incident_id": row["id"], "text": "Fix it", "created_at": min(created, NOW),
                          "updated_at": min(created, NOW), "status": "done" if done and done < NOW else "open",
                          "done_at": done if done and done < NOW else None})
    with runtime.database.writing() as db:
        db.execute(sa.insert(Incident), rows)
        db.execute(sa.insert(StatusPeriod), periods)
        db.execute(sa.insert(FollowUp), followups)
    return [row["id"] for row in rows]


@pytest.fixture
def kept_history(history: History) -> tuple[History, list[int]]:
    ids = bulk_history(history.runtime)
    assert_same_everywhere(history)  # nothing kept yet: every week computed from the incidents
    keep(history)
    assert kept_weeks(history.runtime) >= 20
    return history, ids


def test_kept_figures_equal_the_direct_computation(kept_history: tuple[History, list[int]]) -> None:
    history, _ = kept_history
    assert_same_everywhere(history)
    with history.runtime.database.reading() as db:
        again = insights.compute(db=db, actor=history.factory.actor(history.ada), now=NOW,
                                 filters=insights.parse_filters(db=db, weeks="104"))
    assert again.stale_weeks == []  # every past week came from the roll-up


def changed_through_flows(history: History) -> list[tuple[str, str, dict[str, Any]]]:
    """Changes to kept weeks, made with the clock at now, as every transport makes them."""
    refs = history.refs
    return [
        ("resolve_incident", "ada", {"ref": refs["I6"]}),  # resolved late (week of 2026-01-12)
        ("set_status", "ada", {"ref": refs["I2"], "status": "investigating"}),  # reopened
        ("resolve_incident", "ada", {"ref": refs["I2"], "false_positive": True}),
        ("change_severity", "ada", {"ref": refs["I3"], "severity": "critical"}),
        ("update_details", "ada", {"ref": refs["I3"], "affected_services": ["search", "billing", "ledger"]}),
        ("update_followup", "ada", {"followup_id": 6, "status": "done"}),  # F5, created in a past week
        ("change_severity", "ada", {"ref": refs["I4"], "severity": "major"}),  # its follow-ups move too
        ("update_details", "ada", {"ref": refs["I4"], "security": True}),  # its services become private
        ("close_incident", "ada", {"ref": refs["I4"], "reason": "fixture: steps not needed"}),
    ]


def test_changes_through_the_flows_to_past_weeks_are_never_hidden(kept_history: tuple[History, list[int]]) -> None:
    history, _ = kept_history
    before = assert_same_everywhere(history)
    for step, who, kwargs in changed_through_flows(history):
        history.step((NOW - timedelta(minutes=30)).isoformat()[:16].replace("T", " "), getattr(history, who),
                     step, **kwargs)
        after = assert_same_everywhere(history)
        assert after != before, step
        before = after
    keep(history)
    assert assert_same_everywhere(history) == before


def statements(ids: list[int]) -> list[tuple[str, sa.Executable]]:
    """Changes by plain SQL: what an import, a repair or a clean-up would do, past every flow."""
    moved = NOW - timedelta(weeks=31)  # earlier than any of them: status periods never precede a declaration
    return [
        ("resolved late", sa.update(Incident).where(Incident.id == ids[0]).values(
            resolved_at=NOW - timedelta(hours=2), resolution="fixed")),
        ("false positive", sa.update(Incident).where(Incident.id.in_(ids[1:4])).values(resolution="false_positive")),
        ("back-dated", sa.update(Incident).where(Incident.id == ids[4]).values(
            declared_at=NOW - timedelta(weeks=40))),
        ("moved week", sa.update(Incident).where(Incident.id == ids[5]).values(declared_at=moved)),
        ("acknowledged", sa.update(Incident).where(Incident.id == ids[6]).values(
            acknowledged_at=Incident.declared_at)),
        ("period ended", sa.update(StatusPeriod).where(StatusPeriod.incident_id == ids[7],
                                                       StatusPeriod.seconds.is_(None)).values(
            ended_at=NOW - timedelta(hours=1), seconds=3600)),
        ("period deleted", sa.delete(StatusPeriod).where(StatusPeriod.incident_id == ids[8])),
        ("made private", sa.update(Incident).where(Incident.id.in_(ids[9:20])).values(security=True)),
        ("follow-up done", sa.update(FollowUp).where(FollowUp.incident_id == ids[10]).values(
            status="done", done_at=NOW - timedelta(weeks=3))),
        ("follow-up reopened", sa.update(FollowUp).where(FollowUp.incident_id.in_(ids[11:16])).values(
            status="open", done_at=None)),
        ("follow-up deleted", sa.delete(FollowUp).where(FollowUp.incident_id == ids[16])),
        ("severity of an incident with follow-ups", sa.update(Incident).where(Incident.id.in_(ids[17:19])).values(
            severity=sa.case((Incident.severity == "critical", "major"), else_="critical"))),
        ("deleted", sa.delete(Incident).where(Incident.id.in_(ids[20:30]))),
        ("imported", sa.insert(Incident).values(
            id=5000, title="Imported late", severity="major", status="resolved", affected_services=["api", "db"],
            declared_at=NOW - timedelta(weeks=5), acknowledged_at=NOW - timedelta(weeks=5) + timedelta(minutes=7),
            resolved_at=NOW - timedelta(weeks=5) + timedelta(hours=3), resolution="fixed",
            updated_at=NOW, last_status_update_at=NOW)),
    ]


def test_changes_by_plain_statements_to_past_weeks_are_never_hidden(kept_history: tuple[History, list[int]]) -> None:
    history, ids = kept_history
    before = assert_same_everywhere(history)
    for name, statement in statements(ids):
        with history.runtime.database.writing() as db:
            db.execute(statement)
        after = assert_same_everywhere(history)
        assert after != before, name
        before = after
        keep(history)
        assert assert_same_everywhere(history) == before, name


def test_a_change_rolled_back_leaves_the_kept_week_current(kept_history: tuple[History, list[int]]) -> None:
    history, ids = kept_history
    weeks = kept_weeks(history.runtime)
    def change_then_fail() -> None:
        with history.runtime.database.writing() as db:
            db.execute(sa.update(Incident).where(Incident.id == ids[0]).values(resolution="false_positive"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert kept_weeks(history.runtime) == weeks
    assert_same_everywhere(history)


def test_the_current_week_is_never_kept(kept_history: tuple[History, list[int]]) -> None:
    history, _ = kept_history
    this_week = datetime(2026, 1, 19, tzinfo=UTC)
    with history.runtime.database.reading() as db:
        weeks = set(db.scalars(sa.select(InsightWeek.week)))
    assert all(week < insights.rollup.week_number(this_week) for week in weeks)
    history.incident("I10", "2026-01-21 11:30", history.bob, "critical", ["api"])
    assert_same_everywhere(history)


def test_the_page_and_the_api_keep_the_weeks_they_computed(history: History, client: TestClient) -> None:
    history.clock.set(NOW)
    assert kept_weeks(history.runtime) == 0
    answer = client.get("/api/v1/insights?weeks=3", headers=bearer(history, history.ada))
    assert answer.status_code == 200
    assert kept_weeks(history.runtime) == 2  # the weeks of 2026-01-05 and 2026-01-12; this week is never kept
    page = signed_in(client, history, history.ada).get("/insights?weeks=12")
    assert page.status_code == 200
    assert kept_weeks(history.runtime) == 11
    assert client.get("/api/v1/insights?weeks=3", headers=bearer(history, history.ada)).json() == answer.json()
