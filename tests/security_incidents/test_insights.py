"""Insights and their weekly roll-up: a private incident counts in every figure, its affected services only for
those who may see it, whether its week is computed from the incidents or read from the roll-up; the roll-up
never stores a private incident's services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.incidents import flows
from warroom.insights import service as insights
from warroom.insights.models import InsightWeekService

from .conftest import BLIND, SEES


def services_seen(runtime, factory, user, *, kept: bool) -> tuple[list[str], float | int | None]:
    with runtime.database.reading() as db:
        filters = insights.parse_filters(db=db, weeks="4")
        how = insights.compute if kept else insights.compute_directly
        found = how(db=db, actor=factory.actor(user), now=runtime.clock.now(), filters=filters)
    return found.charts["services"].categories, found.summary["incidents"]


def keep(runtime, factory, cast) -> None:
    with runtime.database.reading() as db:
        found = insights.compute(db=db, actor=factory.actor(cast.alice), now=runtime.clock.now(),
                                 filters=insights.parse_filters(db=db, weeks="4"))
    insights.keep(writing=runtime.database.writing, result=found)


@pytest.fixture
def kept_week(runtime, factory, cast, incidents, clock):
    """INC-1 names "search", private INC-2 names "signing-keys"; two weeks later their week is kept."""
    with runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-1", affected_services=["search"])
        flows.update_details(db=db, actor=factory.actor(cast.bob), ref="INC-2", affected_services=["signing-keys"])
    clock.advance(timedelta(days=14))
    keep(runtime, factory, cast)


def stored_services(runtime) -> set[str]:
    with runtime.database.reading() as db:
        return set(db.scalars(sa.select(InsightWeekService.service)))


def test_the_roll_up_never_stores_a_private_incidents_services(runtime, kept_week):
    assert stored_services(runtime) == {"search"}


@pytest.mark.parametrize("who", SEES)
def test_those_who_may_see_it_count_its_services_from_the_roll_up(runtime, factory, cast, kept_week, who):
    assert services_seen(runtime, factory, cast[who], kept=True) == (["search", "signing-keys"], 2)
    assert services_seen(runtime, factory, cast[who], kept=True) == services_seen(runtime, factory, cast[who],
                                                                                   kept=False)


@pytest.mark.parametrize("who", BLIND)
def test_everyone_else_counts_it_but_not_its_services(runtime, factory, cast, kept_week, who):
    assert services_seen(runtime, factory, cast[who], kept=True) == (["search"], 2)
    assert services_seen(runtime, factory, cast[who], kept=True) == services_seen(runtime, factory, cast[who],
                                                                                   kept=False)


def test_flagging_a_kept_incident_hides_its_services_at_once(runtime, factory, cast, kept_week):
    with runtime.database.writing() as db:
        flows.update_details(db=db, actor=factory.actor(cast.rita), ref="INC-1", security=True)
    assert services_seen(runtime, factory, cast.vic, kept=True) == ([], 2)
    keep(runtime, factory, cast)
    assert stored_services(runtime) == set()
    assert services_seen(runtime, factory, cast.vic, kept=True) == ([], 2)
