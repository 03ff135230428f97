"""`warroom incident close INC-n --false-positive WHY`: one command closes a false positive, against a real server."""

from __future__ import annotations

from warroom.accounts.models import AccessRole, TokenScope

WHY = "the probe pointed at the staging host"


def test_a_false_positive_closes_with_one_command_and_its_reason_is_kept(remote, cli, factory):
    bob = factory.token(factory.user("bob", AccessRole.responder, teams=("engineering",)), TokenScope.write)
    carol = factory.token(factory.user("carol", AccessRole.responder, teams=("customer-support",)), TokenScope.write)
    remote.as_(bob).ok("incident", "declare", "Search is down", "--severity", "major")
    remote.as_(bob).ok("incident", "lead", "INC-1", "@bob")

    remote.as_(carol).fails("incident", "close", "INC-1", "--false-positive", WHY,
                            says="Only the incident lead (@bob) or an admin")
    out = remote.as_(bob).ok("incident", "close", "INC-1", "--false-positive", WHY)
    assert "INC-1 closed as a false positive" in out
    shown = remote.as_(bob).json("incident", "show", "INC-1", "--entries", "100")
    assert shown["status"] == "closed" and shown["is_false_positive"] is True
    skipped = {c["key"]: c["note"] for c in shown["checklist"] if c["state"] == "skipped"}
    assert set(skipped) == {"github_issues_updated", "postmortem_generated", "retrospective_scheduled",
                            "followups_created"}
    assert set(skipped.values()) == {f"Not needed for a false positive: {WHY}"}
