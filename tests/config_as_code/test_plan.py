"""What apply does with what the file leaves out: kept and listed by default, deleted with prune."""

from __future__ import annotations

from datetime import timedelta

from warroom.accounts import service as accounts
from warroom.announcement_days import service as days
from warroom.cli.local import cli_actor
from warroom.config_as_code.planning import Action
from warroom.notifications import service as notifications
from warroom.oncall.keys import service as keys
from warroom.oncall.schedules import service as schedules
from warroom.statuspage import service as pages
from warroom.statuspage.models import PublicStatus

from .conftest import apply, documented_example, plan

# The example without the schedule, its policy paging alice only and twice more, bob out of engineering and
# alice's SMS left out.
LESS = (documented_example()
        .replace("    members: [alice, bob]", "    members: [alice]")
        .replace("    repeat: 1\n", "    repeat: 2\n")
        .replace("          - schedule: platform-primary\n", "          - user: alice\n"))
LESS = LESS[:LESS.index("schedules:")] + "schedules: []\n" + LESS[LESS.index("escalation_policies:"):]
LESS = LESS.replace("""      - kind: sms
        address: "+4915112345678"
        label: work phone
        notify_after_minutes: [5]
""", "")


def _emptied(text, section):
    """The file with ``section: []`` for that section's list."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"{section}:\n")
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith(" ")), len(lines))
    return "".join([*lines[:start], f"{section}: []\n", *lines[end:]])


def _steps(found, *actions):
    return {(s.section, s.key): s for s in found.steps if s.action in actions}


def test_without_prune_what_the_file_leaves_out_is_kept_and_listed(runtime):
    apply(runtime, documented_example())
    found = plan(runtime, LESS)
    kept = _steps(found, Action.keep)
    assert list(kept) == [("schedules", "platform-primary")]
    assert kept[("schedules", "platform-primary")].notes == ["not in the file; `--prune` deletes it"]
    changed = _steps(found, Action.change)
    assert list(changed) == [("escalation_policies", "engineering-default")]
    assert "repeat: 1 → 2" in changed[("escalation_policies", "engineering-default")].details
    same = _steps(found, Action.same)
    assert same[("teams", "engineering")].notes == ["kept: @bob (not in the file)"]
    assert same[("people", "alice")].notes == ["kept: sms +4915112345678 (not in the file)"]

    apply(runtime, LESS)
    with runtime.database.reading() as db:
        schedules.get_schedule(db=db, ref="platform-primary")
        team = accounts.find_team(db=db, name="engineering")
        assert [u.handle for u in accounts.team_members(db=db, team=team)] == ["alice", "bob"]
    assert plan(runtime, LESS).changes == 0


def test_prune_deletes_what_the_file_leaves_out_and_then_there_is_nothing_to_do(runtime):
    apply(runtime, documented_example())
    found = plan(runtime, LESS, prune=True)
    assert list(_steps(found, Action.delete)) == [("schedules", "platform-primary")]
    assert "- @bob" in _steps(found, Action.change)[("teams", "engineering")].details
    assert "- sms +4915112345678" in _steps(found, Action.change)[("people", "alice")].details

    apply(runtime, LESS, prune=True)
    with runtime.database.reading() as db:
        assert schedules.list_schedules(db=db) == []
        team = accounts.find_team(db=db, name="engineering")
        assert [u.handle for u in accounts.team_members(db=db, team=team)] == ["alice"]
        alice = accounts.find_person(db=db, who="alice")
        assert [m.kind.value for m in notifications.list_contact_methods(db=db, user=alice)] == ["email"]
    assert plan(runtime, LESS, prune=True).changes == 0


def test_an_override_added_beside_the_file_is_kept_unless_pruned(runtime):
    apply(runtime, documented_example())
    now = runtime.clock.now()
    with runtime.database.writing() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-primary")
        schedules.add_override(db=db, actor=cli_actor(runtime), schedule=schedule, user="alice",
                               start_at=now + timedelta(hours=1), end_at=now + timedelta(hours=5))
    step = _steps(plan(runtime, documented_example()), Action.same)[("schedules", "platform-primary")]
    assert step.notes == ["kept: override @alice 2026-01-05T11:00+01:00 to 2026-01-05T15:00+01:00 (not in the file)"]
    pruned = _steps(plan(runtime, documented_example(), prune=True), Action.change)[("schedules", "platform-primary")]
    assert pruned.details == ["- override @alice 2026-01-05T11:00+01:00 to 2026-01-05T15:00+01:00"]
    apply(runtime, documented_example(), prune=True)
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-primary")
        assert [o.user_id for o in schedules.list_overrides(db=db, schedule=schedule)] == [
            accounts.find_person(db=db, who="bob").id]


def test_a_section_the_file_leaves_out_is_not_managed_even_with_prune(runtime):
    apply(runtime, documented_example())
    found = plan(runtime, "version: 1\nescalation_policies: []\n", prune=True)
    assert [(s.action, s.section, s.key) for s in found.steps] == [
        (Action.delete, "escalation_policies", "engineering-default")]


def test_a_changed_layer_replaces_the_schedule_layers_in_the_file_order(runtime):
    apply(runtime, documented_example())
    moved = documented_example().replace("participants: [alice, bob]", "participants: [bob, alice]")
    step = _steps(plan(runtime, moved), Action.change)[("schedules", "platform-primary")]
    assert step.details == ["layers[0].participants: [alice, bob] → [bob, alice]"]
    apply(runtime, moved)
    with runtime.database.reading() as db:
        schedule = schedules.get_schedule(db=db, ref="platform-primary")
        layers = schedules.list_layers(db=db, schedule=schedule)
        bob, alice = (accounts.find_person(db=db, who=h).id for h in ("bob", "alice"))
        assert [(layer.name, layer.position, layer.participants) for layer in layers] == [
            ("Weekly", 0, [bob, alice]), ("Business hours", 1, [bob])]
    assert plan(runtime, moved).changes == 0


def test_prune_revokes_keys_resets_templates_and_deletes_coming_announcement_days(runtime):
    applied = apply(runtime, documented_example())
    [made] = applied.secrets
    cut = documented_example()
    for section in ("integration_keys", "status_update_templates", "announcement_days"):
        cut = _emptied(cut, section)
    found = plan(runtime, cut, prune=True)
    assert [(s.section, s.key) for s in found.of(Action.delete)] == [
        ("integration_keys", "alertmanager:prometheus-prod"), ("status_update_templates", "investigating"),
        ("announcement_days", "Series B announcement @ 2027-03-10")]
    apply(runtime, cut, prune=True)
    with runtime.database.reading() as db:
        assert keys.authenticate_key(db=db, secret=made.secret) is None
        assert pages.template_for(db=db, status=PublicStatus.investigating).is_default
        assert days.list_days(db=db, now=runtime.clock.now()) == []
    assert plan(runtime, cut, prune=True).changes == 0
