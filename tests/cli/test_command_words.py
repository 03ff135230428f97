"""`warroom command "…"`: /genie commands go through as typed, a declare shows its next steps, a typo is named."""

from __future__ import annotations

from warroom.accounts.models import AccessRole


def test_genie_commands_are_not_taken_for_incident_commands(remote, cli, factory):
    factory.user("bob", AccessRole.responder, teams=("engineering",))
    bob = cli.json("tokens", "create", "--user", "bob", "--scope", "write")["token"]

    # Answered by /genie itself (the team has no schedule yet), not refused as an unknown /incident command.
    remote.as_(bob).fails("command", "/genie whoisoncall engineering", says="has no on-call schedule yet")
    assert "/genie alert" in remote.as_(bob).ok("command", "/genie help")
    assert "/genie alert" in remote.as_(bob).ok("command", "genie", "help")


def test_declare_through_a_command_prints_its_next_steps_and_playbooks(remote, cli, factory):
    factory.user("pat", AccessRole.responder, teams=("product",))
    factory.playbooks()
    pat = cli.json("tokens", "create", "--user", "pat", "--scope", "write")["token"]

    out = remote.as_(pat).ok("command", "/incident declare Checkout fails after the deploy "
                             "--severity critical --customer-impact --services api")
    assert "Declared INC-1 (critical)" in out
    assert "engage customer support for a messenger" in out
    assert "Suggested playbooks: roll-back-a-bad-deploy" in out
    assert 'warroom command "/incident playbook <slug>" --incident INC-1' in out


def test_a_mistyped_command_is_named_with_the_closest_one(remote, cli, factory):
    factory.user("bob", AccessRole.responder, teams=("engineering",))
    bob = cli.json("tokens", "create", "--user", "bob", "--scope", "write")["token"]
    remote.as_(bob).fails("command", "/incdent lead @dan", says="Unknown command '/incdent'. "
                          "Did you mean '/incident'?")
    remote.as_(bob).fails("command", "/genei whoisoncall", says="Did you mean '/genie'?")
