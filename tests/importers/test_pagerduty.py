"""PagerDuty (REST API v2) into Warroom, live from a fake serving the documented shapes (paged, one 429) and
from a folder: people with contact methods and rules, teams, layered schedules, overrides, escalation policies,
and each service's Events v2 integration key kept, so `routing_key` still works against Warroom."""

from __future__ import annotations

import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.accounts.models import AccessRole, User
from warroom.importers.run import Source
from warroom.importers.source_ids import SourceId
from warroom.oncall.keys.models import IntegrationKey

from ..support import http_server, stored
from .fakes import PAGERDUTY_KEY, pagerduty_fake, save_pagerduty
from .helpers import on_call, reach, run, steps


def test_a_live_import_pages_through_waits_out_a_429_and_carries_everything_warroom_has(runtime, factory):
    fake = pagerduty_fake()
    with http_server(fake.respond) as server:
        fake.base = server.url
        report = run(runtime, factory, Source.pagerduty, url=server.url, key="pd-read-key")
    assert fake.limited, "the fake answered 429 once"
    users_pages = [r for r in server.requests if r.path.startswith("/users?")]
    assert len(users_pages) >= 3  # the 429, then two pages of two and one
    assert report.created["users"] == 3
    with runtime.database.reading() as db:
        roles = {u.email: u.access_role for u in db.scalars(sa.select(User))}
        team = accounts.find_team(db=db, name="payments")
        assert team is not None
        members = sorted(u.handle for u in accounts.team_members(db=db, team=team))
    assert roles == {"alice@acme.example": AccessRole.admin, "bob@acme.example": AccessRole.responder,
                     "carol@acme.example": AccessRole.viewer}
    assert members == ["alice", "bob"]
    assert reach(runtime, "alice") == ([("email", "alice@acme.example"), ("sms", "+4915112345678")],
                                       [("email", 0), ("sms", 3)])
    # Layer 1 turns weekly between Alice and Bob; layer 2 (Carol, 09:00-17:00) wins where it has someone.
    assert on_call(runtime, "payments-primary", "2026-01-05T08:00:00+00:00") == ["alice"]
    assert on_call(runtime, "payments-primary", "2026-01-05T10:00:00+00:00") == ["carol"]
    assert on_call(runtime, "payments-primary", "2026-01-12T08:00:00+00:00") == ["bob"]
    assert on_call(runtime, "payments-primary", "2026-01-06T21:00:00+00:00") == ["carol"]  # the override
    policy, shown = steps(runtime, "payments-policy")
    assert shown == [(15, [("schedule", "payments-primary")]), (30, [("user", "alice")])]
    assert policy.repeat == 2


def test_the_service_integration_key_is_kept_and_enqueue_accepts_it(runtime, factory, client):
    fake = pagerduty_fake()
    with http_server(fake.respond) as server:
        fake.base = server.url
        run(runtime, factory, Source.pagerduty, url=server.url, key="pd-read-key")
    with runtime.database.reading() as db:
        key = db.scalar(sa.select(IntegrationKey))
        assert key is not None
        assert key.kind.value == "pagerduty" and key.name == "Checkout (Prometheus)"
        assert key.escalation_policy_id is not None and key.team_id is not None
    sent = client.post("/v2/enqueue", json={"routing_key": PAGERDUTY_KEY, "event_action": "trigger",
                                            "payload": {"summary": "Checkout is slow", "source": "prom",
                                                        "severity": "critical"}})
    assert sent.status_code == 202, sent.text


def test_what_has_no_place_in_warroom_is_reported_not_dropped(runtime, factory, tmp_path):
    report = run(runtime, factory, Source.pagerduty, folder=save_pagerduty(tmp_path / "pd"))
    assert report.uncarried["users.contact_methods.push_notification_contact_method"] == 1
    assert report.uncarried["users.notification_rules.low-urgency"] == 1
    assert report.uncarried["users.color"] == 1
    assert report.uncarried["teams.description"] == 1
    assert report.uncarried["escalation_policies.on_call_handoff_notifications"] == 1
    assert report.uncarried["services.integrations.generic_events_api_inbound_integration"] == 1
    assert report.uncarried["services.acknowledgement_timeout"] == 1
    assert any("Old API" not in line and "generic_events" in line for line in report.uncarried_lines())


def test_from_a_folder_a_dry_run_writes_nothing_and_a_second_run_changes_nothing(runtime, factory, tmp_path):
    folder = save_pagerduty(tmp_path / "pd")
    before = stored(runtime)
    dry = run(runtime, factory, Source.pagerduty, folder=folder, dry_run=True)
    assert stored(runtime) == before
    assert "create user alice@acme.example (@alice)" in dry.actions
    assert dry.created["schedules"] == 1 and dry.created["keys"] == 1
    first = run(runtime, factory, Source.pagerduty, folder=folder)
    assert first.created == dry.created
    middle = stored(runtime)
    again = run(runtime, factory, Source.pagerduty, folder=folder)
    assert again.created == dict.fromkeys(again.created, 0)
    assert again.skipped["schedules"] == again.skipped["escalations"] == again.skipped["keys"] == 1
    after = stored(runtime)
    assert len(after.pop("audit_log")) == len(middle.pop("audit_log")) + 1
    assert after == middle


def test_imported_objects_keep_their_pagerduty_ids(runtime, factory, tmp_path):
    run(runtime, factory, Source.pagerduty, folder=save_pagerduty(tmp_path / "pd"))
    with runtime.database.reading() as db:
        kept = {(s.kind.value, s.source_id) for s in db.scalars(sa.select(SourceId))}
    assert {("user", "PALICE"), ("team", "PTEAM"), ("schedule", "PSCHED"), ("escalation", "PPOLICY")} <= kept


def test_a_dry_run_over_people_and_teams_already_here_says_what_it_would_change(runtime, factory, tmp_path):
    bob = factory.user("bob", teams=("payments",))
    with runtime.database.writing() as db:
        db.get(User, bob.id).email = "bob@acme.example"
    dry = run(runtime, factory, Source.pagerduty, folder=save_pagerduty(tmp_path / "pd"), dry_run=True)
    assert "reuse user bob@acme.example (@bob)" in dry.actions
    assert "reuse team payments" in dry.actions
    assert "change team payments: add @alice" in dry.actions
