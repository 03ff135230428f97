"""Uptime bars: computed from the components' state-change history, day by day, over 90 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.statuspage import flows, rendering, service
from warroom.statuspage.models import ComponentState
from warroom.statuspage.rendering import Segment, by_day, overlay_maintenance, segments

from .conftest import publish

OK, DEGRADED = ComponentState.operational, ComponentState.degraded
PARTIAL, MAJOR, MAINT = ComponentState.partial_outage, ComponentState.major_outage, ComponentState.maintenance
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def at(hours: float, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hours)


def test_segments_start_from_the_state_before_the_window_and_end_now():
    changes = [(at(-30), MAJOR), (at(-2), OK), (at(6), PARTIAL), (at(9), OK)]
    found = segments(changes, at(0), at(12))
    assert found == [Segment(at(0), at(6), OK), Segment(at(6), at(9), PARTIAL), Segment(at(9), at(12), OK)]
    # A component created inside the window has nothing before its first change.
    assert segments([(at(3), OK)], at(0), at(5)) == [Segment(at(3), at(5), OK)]
    assert segments([], at(0), at(5)) == []


def test_a_day_with_six_hours_of_major_outage_has_75_percent_uptime_and_reads_red():
    parts = segments([(at(-1), OK), (at(6), MAJOR), (at(12), OK)], at(0), at(48))
    first, second = by_day(parts, [DAY.date(), DAY.date() + timedelta(days=1)])
    assert first.uptime == pytest.approx(0.75)
    assert first.worst is MAJOR and first.css == "major_outage"
    assert second.uptime == 1.0 and second.worst is OK
    assert "75.00% uptime" in first.describe() and "major outage 6 h 0 min" in first.describe()


def test_partial_outage_counts_30_percent_degraded_and_maintenance_count_as_up():
    parts = segments([(at(0), PARTIAL), (at(10), DEGRADED), (at(14), MAINT), (at(16), OK)], at(0), at(24))
    [cell] = by_day(parts, [DAY.date()])
    assert cell.uptime == pytest.approx(1 - 0.3 * 10 / 24)
    assert cell.worst is PARTIAL


def test_days_before_a_component_existed_have_no_figure():
    parts = segments([(at(30), OK)], at(0), at(48))
    before, first = by_day(parts, [DAY.date(), DAY.date() + timedelta(days=1)])
    assert before.uptime is None and before.css == "none" and before.describe().endswith("no data")
    assert first.uptime == 1.0


def test_maintenance_windows_turn_operational_time_into_maintenance_but_never_hide_an_outage():
    parts = [Segment(at(0), at(4), OK), Segment(at(4), at(5), MAJOR), Segment(at(5), at(8), OK)]
    shown = overlay_maintenance(parts, [(at(2), at(6))])
    assert shown == [Segment(at(0), at(2), OK), Segment(at(2), at(4), MAINT), Segment(at(4), at(5), MAJOR),
                     Segment(at(5), at(6), MAINT), Segment(at(6), at(8), OK)]


def test_the_page_computes_bars_from_the_recorded_history(runtime, org, site, room, clock):
    """Publish an outage, let time pass, resolve: the bar for that day shows it; 90 cells per component."""
    carol = org.actor(org.carol)
    search = site.components["Search"]
    clock.advance(timedelta(hours=1))
    publish(runtime, carol, room.ref, components={search.id: "major_outage"})
    clock.advance(timedelta(hours=2))
    publish(runtime, carol, room.ref, status="resolved", body="Fixed.", components={search.id: "operational"})
    clock.advance(timedelta(days=1))
    with runtime.database.reading() as db:
        view = rendering.load_page_view(db=db, slug="acme", now=clock.now())
    bars = {c.name: c for c in view.components}
    assert all(len(c.days) == rendering.WINDOW_DAYS for c in bars.values())
    outage_day = next(d for d in bars["Search"].days if d.worst is MAJOR)
    assert outage_day.seconds[MAJOR] == pytest.approx(2 * 3600)
    assert "Search problems" in outage_day.describe()
    assert all(d.worst in (OK, None) for d in bars["Web app"].days)
    assert bars["Search"].uptime is not None and bars["Search"].uptime < 1.0
    assert bars["Web app"].uptime == 1.0


def test_hand_set_states_are_history_too_and_an_unchanged_state_writes_nothing(runtime, org, site, clock):
    editor = org.actor(org.sam)
    api = site.components["API"]
    with runtime.database.writing() as db:
        page = service.get_page(db=db, slug="acme")
        _, changed = service.set_component_state(db=db, actor=editor, page=page, component_id=api.id,
                                                 state="degraded performance")
        _, again = service.set_component_state(db=db, actor=editor, page=page, component_id=api.id, state="degraded")
    assert changed and not again
    clock.advance(timedelta(hours=3))
    with runtime.database.reading() as db:
        view = rendering.load_page_view(db=db, slug="acme", now=clock.now())
    api_view = next(c for c in view.components if c.name == "API")
    assert api_view.state is DEGRADED
    assert api_view.days[-1].seconds[DEGRADED] == pytest.approx(3 * 3600)
    assert view.headline == "Degraded performance"


def test_templates_fill_in_the_components_named_so_far(runtime, org, site, room):
    carol = org.actor(org.carol)
    with runtime.database.writing() as db:
        first = flows.draft_update(db=db, actor=carol, ref=room.ref)
    assert first.status.value == "investigating"
    assert first.body.startswith("We are investigating reports of problems with some of our services.")
    publish(runtime, carol, room.ref, title="Slow search and API",
            components={site.components["Search"].id: "degraded", site.components["API"].id: "partial_outage"})
    with runtime.database.writing() as db:
        second = flows.draft_update(db=db, actor=carol, ref=room.ref, status="identified")
    assert second.title == "Slow search and API"  # the title customers already know
    assert "problems with Search and API and are working on a fix" in second.body
