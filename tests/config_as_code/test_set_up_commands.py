"""`warroom schedules`, `warroom policies`, `warroom status-pages`: set-up on the server's database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.accounts.models import AccessRole

from ..support import people


def test_a_schedule_is_created_given_layers_and_overrides_and_shown(cli, factory):
    people(factory, {"alice": (AccessRole.admin, "engineering"), "bob": "engineering"})
    assert "Created schedule platform-primary (Europe/Berlin)" in cli.ok(
        "schedules", "create", "platform-primary", "--name", "Platform primary", "--time-zone", "europe/berlin",
        "--team", "engineering")
    out = cli.ok("schedules", "layers", "add", "platform-primary", "--rotation", "weekly", "--handoff",
                 "2026-01-05T09:00", "-p", "@alice", "-p", "bob@example.com", "--name", "Weekly")
    assert "Added layer #" in out
    cli.ok("schedules", "layers", "add", "platform-primary", "--rotation", "daily", "--handoff", "2026-01-05T09:00",
           "-p", "bob", "--restrict", "0-2,4 09:00-17:00")
    # The CLI runs on the real clock: the override is tomorrow evening, in the schedule's zone.
    tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).replace(hour=20, minute=0, second=0,
                                                                                       microsecond=0)
    start, end = tomorrow.strftime("%Y-%m-%dT%H:%M"), (tomorrow + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    made = cli.ok("schedules", "overrides", "create", "platform-primary", "--user", "bob", "--replaces", "alice",
                  "--from", start, "--to", end)
    assert f"@bob covers for @alice on platform-primary from {tomorrow.isoformat(timespec='minutes')} to " in made

    shown = cli.json("schedules", "show", "platform-primary")
    assert len(shown["on_call_now"]) == 1 and shown["on_call_now"][0] in ("alice", "bob")
    assert [(x["name"], x["participants"], x["restrictions"]) for x in shown["layers"]] == [
        ("Weekly", ["alice", "bob"], []),
        ("Layer 2", ["bob"], [{"days": [0, 1, 2, 4], "start": "09:00", "end": "17:00"}])]
    [override] = shown["overrides"]
    assert cli.json("schedules", "overrides", "list", "platform-primary")[0]["id"] == override["id"]
    assert [s["slug"] for s in cli.json("schedules", "list", "--team", "engineering")] == ["platform-primary"]

    assert f"Removed override #{override['id']}" in cli.ok("schedules", "overrides", "delete", "platform-primary",
                                                             str(override["id"]))
    weekly = shown["layers"][0]["id"]
    cli.ok("schedules", "layers", "remove", "platform-primary", str(weekly))
    assert [x["name"] for x in cli.json("schedules", "show", "platform-primary")["layers"]] == ["Layer 2"]


def test_schedule_commands_refuse_bad_input_with_one_line(cli, factory):
    people(factory, {"alice": AccessRole.admin})
    cli.ok("schedules", "create", "primary", "--name", "Primary", "--time-zone", "UTC")
    cli.ok("schedules", "create", "other", "--name", "Other", "--time-zone", "UTC")
    cli.fails("schedules", "create", "third", "--name", "T", "--time-zone", "Mars/Base", says="Unknown time zone")
    cli.fails("schedules", "layers", "add", "primary", "--rotation", "daily", "--handoff", "2026-01-05T09:00",
              "-p", "alice", "--restrict", "weekdays", says="--restrict 'weekdays' is not DAYS HH:MM-HH:MM")
    cli.fails("schedules", "layers", "add", "primary", "--rotation", "daily", "--handoff", "2026-01-05T09:00",
              "-p", "zoe", says="No user 'zoe'")
    cli.ok("schedules", "layers", "add", "other", "--rotation", "daily", "--handoff", "2026-01-05T09:00",
           "-p", "alice")
    layer = cli.json("schedules", "show", "other")["layers"][0]["id"]
    cli.fails("schedules", "layers", "remove", "primary", str(layer), says=f"Layer #{layer} is not on primary")
    cli.fails("schedules", "overrides", "create", "primary", "--user", "alice", "--from", "soon", "--to",
              "later", says="--from 'soon' is not a time")
    cli.fails("schedules", "show", "nope", says="No schedule 'nope'")


def test_an_escalation_policy_is_created_from_steps_and_shown(cli, factory):
    people(factory, {"alice": (AccessRole.admin, "engineering")})
    cli.ok("schedules", "create", "platform-primary", "--name", "Platform primary", "--time-zone", "UTC")
    out = cli.ok("policies", "create", "engineering-default", "--name", "Engineering default", "--team",
                 "engineering", "--repeat", "1", "--step", "schedule:platform-primary; wait 5",
                 "--step", "user:@alice, team:engineering")
    assert "Created escalation policy engineering-default with 2 steps." in out
    assert cli.json("policies", "show", "engineering-default") == {
        "slug": "engineering-default", "name": "Engineering default", "team": "engineering", "repeat": 1,
        "description": "", "steps": [{"delay_minutes": 5, "targets": [{"schedule": "platform-primary"}]},
                                     {"delay_minutes": 0, "targets": [{"user": "alice"}, {"team": "engineering"}]}]}
    listed = cli.ok("policies", "list")
    assert "  1. page schedule platform-primary, then wait 5 min for an acknowledgement" in listed
    cli.fails("policies", "create", "x", "--name", "X", "--step", "pager:bob", says="'pager:bob' is not a target")
    cli.fails("policies", "create", "x", "--name", "X", "--step", "user:@alice; later",
              says="write how long to wait")
    cli.fails("policies", "create", "x", "--name", "X", "--team", "engineering", "--step", "user:@alice",
              says="already has escalation policy 'engineering-default'")


def test_a_status_page_is_created_with_grouped_components_and_shown(cli, factory):
    people(factory, {"carol": "customer-support"})
    out = cli.ok("status-pages", "create", "acme-cloud", "--name", "Acme Cloud", "--team", "customer-support",
                 "--unlisted", "--component", "Core/API", "--component", "Core/Database", "--component", "Dashboard")
    assert "Created status page acme-cloud: /status/acme-cloud (3 components)." in out
    shown = cli.json("status-pages", "show", "acme-cloud")
    assert (shown["team"], shown["listed"], shown["groups"]) == ("customer-support", False, ["Core"])
    assert [(c["name"], c["group"], c["state"]) for c in shown["components"]] == [
        ("API", "Core", "operational"), ("Database", "Core", "operational"), ("Dashboard", None, "operational")]
    assert [p["slug"] for p in cli.json("status-pages", "list")] == ["acme-cloud"]
    cli.fails("status-pages", "create", "acme-cloud", "--name", "Again", says="already exists")
    cli.fails("status-pages", "show", "nope", says="No status page 'nope'")
