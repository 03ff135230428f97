"""Dashboard filters, search and headline figures, checked against hand-computed values."""

from datetime import timedelta

from warroom.accounts.models import AccessRole
from warroom.dashboard.service import IncidentFilters, format_duration, headline_figures, list_incidents
from warroom.incidents import flows
from warroom.incidents.models import Severity, Status


def run(runtime, flow, **kwargs):
    with runtime.database.writing() as db:
        return flow(db=db, **kwargs)


def test_figures_by_severity_and_window(runtime, factory, clock):
    bob = factory.user("bob", AccessRole.admin)
    actor = factory.actor(bob)
    # 100 days ago: a critical incident, acknowledged after 10 min, resolved after 60 (outside both windows).
    old = factory.incident(bob, "old outage", "critical")
    run(runtime, flows.assign_role, actor=actor, ref=old.ref, role="lead", who="@bob")
    clock.advance(timedelta(minutes=10))
    run(runtime, flows.acknowledge, actor=actor, ref=old.ref)
    clock.advance(timedelta(minutes=50))
    run(runtime, flows.resolve_incident, actor=actor, ref=old.ref)
    clock.advance(timedelta(days=40))
    # 60 days ago: major, ack 4 min, resolved at 30 min, a false positive (in the 90-day window only).
    fp = factory.incident(bob, "maybe a blip", "major")
    run(runtime, flows.assign_role, actor=actor, ref=fp.ref, role="lead", who="@bob")
    clock.advance(timedelta(minutes=4))
    run(runtime, flows.acknowledge, actor=actor, ref=fp.ref)
    clock.advance(timedelta(minutes=26))
    run(runtime, flows.resolve_incident, actor=actor, ref=fp.ref, false_positive=True)
    clock.advance(timedelta(days=50))
    # 10 days ago: critical, ack 2 min, resolved at 120 min.
    recent = factory.incident(bob, "search down", "critical")
    run(runtime, flows.assign_role, actor=actor, ref=recent.ref, role="lead", who="@bob")
    clock.advance(timedelta(minutes=2))
    run(runtime, flows.acknowledge, actor=actor, ref=recent.ref)
    clock.advance(timedelta(minutes=118))
    run(runtime, flows.resolve_incident, actor=actor, ref=recent.ref)
    clock.advance(timedelta(days=10))
    # Now: one open major incident, never acknowledged.
    factory.incident(bob, "checkout slow", "major")

    with runtime.database.reading() as db:
        headline = headline_figures(db=db, now=clock.now())
    assert headline.open_now == 1 and headline.open_by_severity == {"critical": 0, "major": 1}
    got = {(f.window_days, f.severity): f for f in headline.figures}
    assert got[30, "all"].declared == 2 and got[30, "all"].false_positives == 0
    assert got[30, "critical"].mtta_seconds == 120 and got[30, "critical"].mttr_seconds == 7200
    assert got[30, "major"].mtta_seconds is None and got[30, "major"].declared == 1
    assert got[90, "all"].declared == 3 and got[90, "all"].false_positives == 1
    assert got[90, "major"].mtta_seconds == 240 and got[90, "major"].mttr_seconds == 1800
    assert got[90, "all"].mtta_seconds == (120 + 240) / 2
    assert got[90, "all"].mttr_seconds == (7200 + 1800) / 2


def test_filters_and_search_over_titles_summaries_and_room_messages(runtime, factory, clock):
    bob = factory.user("bob")
    pat = factory.user("pat")
    actor = factory.actor(bob)
    a = factory.incident(pat, "Sign-in broken", "critical", customer_impact=True)
    b = factory.incident(pat, "Indexer lagging", "major")
    c = factory.incident(pat, "Webhooks delayed", "major")
    run(runtime, flows.assign_role, actor=actor, ref=a.ref, role="lead", who="@bob")
    run(runtime, flows.post_message, actor=actor, ref=b.ref, text="Looks like the Postgres replica is behind")
    run(runtime, flows.set_summary, actor=actor, ref=c.ref, summary="Queue consumer stuck on a poison message")
    run(runtime, flows.resolve_incident, actor=actor, ref=c.ref, false_positive=True)

    def refs(**kwargs):
        with runtime.database.reading() as db:
            rows, total = list_incidents(db=db, filters=IncidentFilters(**kwargs))
        assert total == len(rows)
        return [r.incident.ref for r in rows]

    assert refs() == [c.ref, b.ref, a.ref]
    assert refs(search="postgres REPLICA") == [b.ref]
    assert refs(search="poison") == [c.ref]
    assert refs(search="sign-in") == [a.ref]
    assert refs(severity=Severity.critical) == [a.ref]
    assert refs(lead="@bob") == [a.ref]
    assert refs(false_positive=True) == [c.ref]
    assert refs(false_positive=False) == [b.ref, a.ref]
    assert refs(customer_impact=True) == [a.ref]
    assert refs(active=True) == [b.ref, a.ref]
    assert refs(status=Status.resolved) == [c.ref]
    assert refs(declared_from=clock.now() + timedelta(seconds=1)) == []
    with runtime.database.reading() as db:
        rows, total = list_incidents(db=db, filters=IncidentFilters(), limit=1, offset=1)
    assert total == 3 and [r.incident.ref for r in rows] == [b.ref]
    assert rows[0].lead_handle is None


def test_format_duration():
    assert [format_duration(s) for s in (None, 42, 600, 3 * 3600 + 5 * 60, 3 * 86400)] == [
        "—", "42s", "10m", "3h 05m", "3d 0h"]
