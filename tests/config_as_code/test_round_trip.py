"""Export → apply on an empty database → export gives the same file; applying a file twice changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole
from warroom.announcement_days import service as days
from warroom.notifications import service as notifications
from warroom.oncall.escalation import policies
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.schedules import service as schedules
from warroom.playbooks import service as playbooks
from warroom.statuspage import service as pages

from ..support import people
from .conftest import apply, documented_example, export, plan


def _set_up_by_hand(runtime, factory) -> None:
    """A set-up made through the domain services, as the web UI and API make it."""
    cast = people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering",
                            "carol": "customer-support", "mia": "marketing", "gone": ()})
    actor = factory.actor(cast["alice"])
    now = runtime.clock.now()
    with runtime.database.writing() as db:
        accounts.get_user(db=db, user_id=cast["gone"].id).is_active = False
        bob = accounts.get_user(db=db, user_id=cast["bob"].id)
        phone = notifications.add_contact_method(db=db, actor=actor, user=bob, kind="sms", address="+4915112345678",
                                                 label="work phone", outbound=runtime.outbound)
        notifications.add_rule(db=db, actor=actor, user=bob, contact_method_id=phone.id, delay_minutes=5)
        team = accounts.find_team(db=db, name="engineering")
        primary = schedules.create_schedule(db=db, actor=actor, slug="platform-primary", name="Platform primary",
                                            time_zone="America/New_York", team=team, description="Paged first")
        schedules.add_layer(db=db, actor=actor, schedule=primary, rotation="custom", length_hours=12,
                            handoff_local="2026-01-05T08:00", participants=["bob", "alice"], name="Halves",
                            restrictions=[{"days": [5, 6], "start": "22:00", "end": "06:00"}],
                            starts_at=now, ends_at=now + timedelta(days=400))
        schedules.add_layer(db=db, actor=actor, schedule=primary, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["alice"])
        schedules.add_override(db=db, actor=actor, schedule=primary, user="bob", replaces="alice",
                               start_at=now + timedelta(days=2), end_at=now + timedelta(days=3, hours=7))
        schedules.add_override(db=db, actor=actor, schedule=primary, user="alice",  # ended: history, not set-up
                               start_at=now - timedelta(days=3), end_at=now - timedelta(days=2))
        policy = policies.create_policy(db=db, actor=actor, slug="engineering-default", name="Engineering default",
                                        team=team, repeat=2, steps=[
                                            {"delay_minutes": 5, "targets": [{"type": "schedule",
                                                                              "id": "platform-primary"}]},
                                            {"delay_minutes": 0, "targets": [{"type": "user", "id": "@alice"},
                                                                             {"type": "team", "id": "engineering"}]}])
        keys.create_key(db=db, actor=actor, name="prometheus-prod", kind=KeyKind.alertmanager, team=team,
                        escalation_policy=policy, dedup_per_alert=True)
        revoked = keys.create_key(db=db, actor=actor, name="old-nagios", kind=KeyKind.pagerduty).key
        keys.revoke_key(db=db, actor=actor, key_id=revoked.id)
        page = pages.create_page(db=db, actor=actor, slug="acme-cloud", name="Acme Cloud", team="customer-support",
                                 listed=False, description="Our services")
        pages.create_group(db=db, actor=actor, page=page, name="Core")
        pages.create_component(db=db, actor=actor, page=page, name="API", group="Core", description="REST")
        pages.create_component(db=db, actor=actor, page=page, name="Dashboard")
        pages.save_template(db=db, actor=actor, status="monitoring", title="Watching {components}",
                            body="A fix is out.\n\nWe are watching {components}.")
        playbooks.save_playbook(db=db, actor=actor, slug="cache-flush", title="Cache flush", services=["Redis"],
                                keywords=["cache"], body_md="# Flush\n\n- [ ] Flush the cache\n", create=True)
        days.create_day(db=db, actor=actor, spec=days.DaySpec(
            title="Launch", kind="launch", time_zone="Europe/Berlin", owner="mia", starts="2026-01-20T09:00",
            ends="2026-01-20T18:00", reminder_minutes=15, notes="Hold deploys"))


def test_export_then_apply_on_an_empty_database_then_export_gives_the_same_file(runtime, factory, empty_runtime):
    _set_up_by_hand(runtime, factory)
    first = export(runtime)

    created = apply(empty_runtime, first)
    assert created.plan.changes == len(created.plan.steps) > 0
    assert [(s.kind, s.name) for s in created.secrets] == [("alertmanager", "prometheus-prod")]
    assert export(empty_runtime) == first

    again = plan(empty_runtime, first)
    assert again.changes == 0, again.summary()
    assert plan(runtime, first).changes == 0


def test_the_export_holds_the_set_up_and_nothing_secret_or_past(runtime, factory):
    _set_up_by_hand(runtime, factory)
    token = factory.token(factory.user("tess"))
    text = export(runtime)
    data = yaml.safe_load(text)

    assert "gone" not in [p["handle"] for p in data["people"]]
    for secret_word in ("password", "hash", "token", "secret", "scrypt", token):
        assert secret_word not in text
    [schedule] = data["schedules"]
    assert schedule["overrides"] == [{"user": "bob", "replaces": "alice", "start": "2026-01-07T04:00-05:00",
                                      "end": "2026-01-08T11:00-05:00"}]
    assert schedule["layers"][0] == {
        "name": "Halves", "rotation": "custom", "length_hours": 12, "handoff": "2026-01-05T08:00",
        "participants": ["bob", "alice"], "restrictions": [{"days": [5, 6], "start": "22:00", "end": "06:00"}],
        "starts_at": "2026-01-05T09:00+00:00", "ends_at": "2027-02-09T09:00+00:00"}
    assert data["integration_keys"] == [{"name": "prometheus-prod", "kind": "alertmanager", "team": "engineering",
                                         "escalation_policy": "engineering-default", "dedup_per_alert": True}]
    assert data["announcement_days"][0]["starts"] == "2026-01-20T09:00"
    assert data["status_pages"][0]["listed"] is False


def test_the_documented_example_applies_and_a_second_apply_changes_nothing(runtime):
    first = apply(runtime, documented_example())
    assert first.plan.summary() == "14 to create, 0 to change, 0 to delete, 0 kept, 0 unchanged"
    second = apply(runtime, documented_example())
    assert second.plan.changes == 0 and second.secrets == []
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-primary")
        on_call = schedules.who_is_on_call(db=db, schedule=schedule,
                                           at=datetime(2026, 1, 6, 10, 0, tzinfo=UTC))
    assert [u.handle for u in on_call] == ["bob"]  # the business-hours layer wins on a Tuesday morning
