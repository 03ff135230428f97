"""The demo organisation has on-call from its first minute: every team a rotation in its own time zone, an
escalation policy, an integration key per monitoring source and a heartbeat; the README's tour answers with
a person."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.commands.runner import run_command
from warroom.demo import TEAMS, seed_demo
from warroom.oncall.escalation import policies
from warroom.oncall.escalation.models import EscalationPolicy
from warroom.oncall.heartbeats import service as heartbeats
from warroom.oncall.keys import service as keys
from warroom.oncall.keys.models import KeyKind
from warroom.oncall.schedules import service as schedules


def seeded(runtime):
    with runtime.database.writing() as db:
        seed_demo(db=db, clock=runtime.clock)
    with runtime.database.reading() as db:
        return accounts.find_person(db=db, who="@bob")


def whoisoncall(runtime, actor, text: str) -> tuple[str, list[dict]]:
    with runtime.database.writing() as db:
        result = run_command(db=db, actor=actor, text=text)
    return result.message, result.data["on_call"]


def test_the_readme_asks_who_is_on_call_for_customer_support_and_gets_a_person(runtime, factory):
    bob = factory.actor(seeded(runtime))
    message, on_call = whoisoncall(runtime, bob, "/genie whoisoncall customer-support")
    assert on_call == [{"schedule": "Customer support primary", "team": "customer-support", "users": ["carol"]}]
    assert "@carol" in message and "no on-call schedule" not in message
    _, later = whoisoncall(runtime, bob, "/genie whoisoncall customer-support --at 2026-12-01T09:00")
    assert later[0]["users"] == ["carol"]


def test_every_team_has_someone_on_call_now_and_in_a_month_in_differing_time_zones(runtime, factory, clock):
    bob = factory.actor(seeded(runtime))
    with runtime.database.reading() as db:
        zones = {s.team_id: s.time_zone for s in schedules.list_schedules(db=db)}
        teams = {t.slug: t for t in (accounts.find_team(db=db, name=slug) for slug in TEAMS) if t}
    assert len(teams) == len(TEAMS) and set(zones) == {t.id for t in teams.values()}
    assert len(set(zones.values())) == len(TEAMS)
    assert {"Europe/Berlin", "America/New_York", "Asia/Tokyo"} <= set(zones.values())
    for _ in range(2):
        _, everyone = whoisoncall(runtime, bob, "/genie whoisoncall")
        assert sorted(line["team"] for line in everyone) == sorted(TEAMS)
        assert all(line["users"] for line in everyone), everyone
        clock.advance(timedelta(days=30))
    _, engineering = whoisoncall(runtime, bob, "/genie whoisoncall engineering")
    assert engineering[0]["users"][0] in {"alice", "bob", "dan"}


def test_every_team_has_a_policy_keys_for_each_source_and_a_heartbeat(runtime):
    seeded(runtime)
    with runtime.database.reading() as db:
        teams = {t.id: t.slug for t in (accounts.find_team(db=db, name=slug) for slug in TEAMS) if t}
        by_team = {p.team_id: p for p in policies.list_policies(db=db)}
        assert set(by_team) == set(teams)
        steps = policies.steps_of(db=db, policies=list(by_team.values()))
        for policy in by_team.values():
            first, second = steps[policy.id]
            assert first.targets[0]["type"] == "schedule" and second.targets[0]["type"] == "user"
        live = keys.list_keys(db=db, include_revoked=False)
        for team_id in teams:
            assert sorted(k.kind for k in live if k.team_id == team_id) == sorted(KeyKind)
            assert all(k.escalation_policy_id == by_team[team_id].id for k in live if k.team_id == team_id)
            assert len(heartbeats.list_heartbeats(db=db, team_id=team_id)) == 1
        assert db.scalar(sa.select(sa.func.count()).select_from(EscalationPolicy)) == len(TEAMS)
