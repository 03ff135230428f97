"""The handbook's whole incident lifecycle through `warroom incident …` against a real server."""

from __future__ import annotations

from datetime import timedelta

from warroom.accounts.models import AccessRole

from ..api.conftest import stored

CLOSED_BY_CLOSING = {"status_closed", "room_archived"}


def test_the_whole_lifecycle_through_the_remote_cli(remote, cli, factory, clock, runtime):
    factory.user("alice", AccessRole.admin, teams=("engineering",))
    factory.user("bob", teams=("engineering",))
    factory.user("carol", teams=("customer-support",))
    factory.user("pat", teams=("product",))
    # Tokens come from the set-up command, as an operator would make them.
    bob = cli.json("tokens", "create", "--user", "bob", "--scope", "write")["token"]
    pat = cli.json("tokens", "create", "--user", "pat", "--scope", "write")["token"]

    # Pat notices and declares; the room and the handbook's reminders come with it.
    out = remote.as_(pat).ok("incident", "declare", "Search is down for EU customers", "--severity", "critical",
                             "--customer-impact", "--service", "search,api", "--service", "web",
                             "--description", "Two customers wrote in")
    assert "Declared INC-1 (critical): Search is down for EU customers" in out
    assert "engage customer support for a messenger" in out
    assert "Room: http://warroom.test/incidents/INC-1" in out

    # Bob leads, acknowledges, and names a messenger and a scribe.
    clock.advance(timedelta(minutes=4))
    cli_bob = remote.as_(bob)
    assert "@bob is the incident lead of INC-1" in cli_bob.ok("incident", "lead", "INC-1", "@bob")
    assert "I'm on it" in cli_bob.ok("incident", "ack", "INC-1")
    messenger = cli_bob.json("incident", "messenger", "INC-1", "@carol")
    assert messenger["warnings"] == []
    assert "@alice is the scribe of INC-1" in cli_bob.ok("incident", "role", "INC-1", "scribe", "@alice")

    # Status, summary, plans, attempts, updates, severity, a message.
    assert "INC-1 is now identified" in cli_bob.ok("incident", "status", "INC-1", "identified", "--note",
                                                   "bad indexer release")
    cli_bob.ok("incident", "summary", "INC-1", "Indexer 4.2 drops EU documents")
    cli_bob.ok("incident", "plan", "INC-1", "roll back the indexer to 4.1")
    cli_bob.ok("incident", "tried", "INC-1", "rolling back to 4.1", "--result", "EU results are back")
    cli_bob.ok("incident", "update", "INC-1", "watching error rates for 30 minutes")
    severity = cli_bob.json("incident", "severity", "INC-1", "major")
    assert severity["incident"]["severity"] == "major"
    said = cli_bob.ok("incident", "say", "INC-1", "Customers confirm search works [again]")
    assert "@bob: Customers confirm search works [again]" in said

    shown = cli_bob.json("incident", "show", "INC-1", "--entries", "200")
    assert (shown["status"], shown["severity"], shown["lead"]) == ("identified", "major", "bob")
    assert shown["summary"] == "Indexer 4.2 drops EU documents"
    assert shown["affected_services"] == ["api", "search", "web"]
    assert shown["acknowledged_at"] is not None
    assert {r["role"]: r["user"] for r in shown["roles"]} == {"lead": "bob", "messenger": "carol",
                                                               "scribe": "alice"}
    bodies = [e["body"] for e in shown["timeline"]]
    assert "Thank you @pat for identifying this incident." in bodies
    assert "I plan to roll back the indexer to 4.1" in bodies
    assert "We tried rolling back to 4.1, which resulted in EU results are back" in bodies
    assert "Status: investigating → identified — bad indexer release" in bodies
    assert "Severity: critical → major" in bodies

    page = cli_bob.ok("incident", "show", "INC-1")
    for text in ("INC-1  Search is down for EU customers", "major · identified · customer impact", "@carol",
                 "Checklist", "[x] roles_identified*", "Latest in the room (10)", "Customers confirm search"):
        assert text in page, text

    everything = cli_bob.json("incident", "timeline", "INC-1", "--all")
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    assert everything[0]["kind"] == "declared"
    assert len(everything) == len(shown["timeline"])
    assert "@bob: watching error rates" in cli_bob.ok("incident", "timeline", "INC-1", "-n", "3")

    # The dashboard's filters and full-text search over room messages.
    assert [i["ref"] for i in cli_bob.json("incident", "list", "--search", "confirm search")["items"]] == ["INC-1"]
    found = cli_bob.json("incident", "list", "--lead", "@bob", "--severity", "major", "--customer-impact",
                         "--active", "--from", "2000-01-01")
    assert (found["total"], found["items"][0]["ref"]) == (1, "INC-1")
    assert cli_bob.json("incident", "list", "--inactive")["total"] == 0
    assert "INC-1" in cli_bob.ok("incident", "list")

    # Resolve; closing waits for the post-resolution checklist.
    clock.advance(timedelta(minutes=40))
    assert "INC-1 resolved" in cli_bob.ok("incident", "resolve", "INC-1", "--note", "rolled back")
    before = stored(runtime)
    cli_bob.fails("incident", "close", "INC-1", says="cannot close yet")
    assert stored(runtime) == before
    checklist = cli_bob.json("incident", "show", "INC-1")["checklist"]
    open_required = [i["key"] for i in checklist
                     if i["required"] and i["state"] == "open" and i["key"] not in CLOSED_BY_CLOSING]
    assert open_required
    for key in open_required:
        cli_bob.ok("incident", "tick", "INC-1", key, "done", "by", "hand")
    cli_bob.ok("incident", "untick", "INC-1", open_required[0])
    label = next(i["label"] for i in checklist if i["key"] == open_required[0])
    cli_bob.fails("incident", "close", "INC-1", says=f"required steps are open: {label} [{open_required[0]}].")
    cli_bob.ok("incident", "tick", "INC-1", open_required[0])
    cli_bob.ok("incident", "skip", "INC-1", "retrospective_scheduled", "small", "incident")
    assert "INC-1 closed and its room archived" in cli_bob.ok("incident", "close", "INC-1")

    closed = cli_bob.json("incident", "show", "INC-1")
    assert closed["status"] == "closed"
    assert closed["archived_at"] is not None
    states = {i["key"]: (i["state"], i["note"], i["done_by"]) for i in closed["checklist"]}
    assert states[open_required[-1]] == ("done", "done by hand", "bob")
    assert states["retrospective_scheduled"] == ("skipped", "small incident", "bob")
    cli_bob.fails("incident", "say", "INC-1", "too late", says="archived")
    assert [i["ref"] for i in cli_bob.json("incident", "list", "--status", "closed")["items"]] == ["INC-1"]


def test_a_false_positive_is_resolved_kept_and_counted(remote, factory):
    dan = remote.as_(factory.token(factory.user("dan", teams=("security",))))
    declared = dan.json("incident", "declare", "Odd logins from one IP?", "--severity", "major", "--security",
                          "--suspected", "--reporter", "a customer")
    assert declared["incident"]["security"] is True
    assert declared["incident"]["suspected"] is True
    assert declared["incident"]["external_reporter"] == "a customer"
    assert any("security team" in step for step in declared["data"]["next_steps"])
    out = dan.ok("incident", "resolve", "INC-1", "--false-positive", "--note", "a pen test")
    assert "false positive" in out
    assert [i["ref"] for i in dan.json("incident", "list", "--false-positive")["items"]] == ["INC-1"]
    assert dan.json("incident", "list", "--not-false-positive")["total"] == 0
    assert "false positive" in dan.ok("incident", "list")


def test_the_command_language_through_the_cli(remote, factory):
    factory.user("bob", teams=("engineering",))
    erin = remote.as_(factory.token(factory.user("erin", teams=("marketing",))))
    declared = erin.json("command", "/incident declare Webhooks are delayed --severity major --customer-impact")
    assert declared["incident"] == "INC-1"
    assert declared["message"] == "Declared INC-1 (major): Webhooks are delayed"
    # Unquoted words and no prefix work at a terminal too.
    assert "@bob is the incident lead of INC-1" in erin.ok("command", "lead", "@bob", "--incident", "INC-1")
    assert "INC-1 is now monitoring" in erin.ok("command", "/incident status monitoring --incident INC-1")
    helped = erin.ok("command", "/incident help")
    assert "/incident declare <description>" in helped
    assert "/incident close" in helped


def test_details_pins_playbooks_and_the_feeds(remote, factory, clock):
    factory.playbooks()
    bob = remote.as_(factory.token(factory.user("bob", teams=("engineering",))))
    bob.ok("incident", "declare", "Deploy broke sign-in", "--severity", "critical", "--service", "auth")

    edited = bob.json("incident", "edit", "INC-1", "--security", "--customer-impact", "--title",
                      "Deploy broke sign-in for SSO users", "--service", "auth,sso")
    assert (edited["incident"]["security"], edited["incident"]["customer_impact"]) == (True, True)
    assert edited["incident"]["title"] == "Deploy broke sign-in for SSO users"
    assert edited["incident"]["affected_services"] == ["auth", "sso"]
    assert edited["incident"]["suspected"] is False  # not given: unchanged

    said = bob.json("incident", "say", "INC-1", "SSO errors began at 09:02")
    assert "Pinned entry" in bob.ok("incident", "pin", "INC-1", str(said["id"]))
    pinned = [e for e in bob.json("incident", "timeline", "INC-1") if e["id"] == said["id"]]
    assert pinned[0]["pinned"] is True
    assert "[pinned]" in bob.ok("incident", "timeline", "INC-1")
    assert "Unpinned entry" in bob.ok("incident", "unpin", "INC-1", str(said["id"]))

    attached = bob.ok("incident", "playbook", "INC-1", "roll-back-a-bad-deploy")
    assert "Attached" in attached
    # Flagging it as security attached the security-disclosure playbook too.
    assert sorted(bob.json("incident", "show", "INC-1")["playbooks"]) == ["roll-back-a-bad-deploy",
                                                                          "security-disclosure"]
    bob.fails("incident", "playbook", "INC-1", "no-such-playbook", says="no-such-playbook")

    clock.advance(timedelta(minutes=5))
    bob.ok("incident", "lead", "INC-1", "bob")
    bob.ok("incident", "ack", "INC-1")
    figures = bob.json("dashboard")
    assert figures["open_now"] == 1
    overall = next(f for f in figures["figures"] if f["window_days"] == 30 and f["severity"] == "all")
    assert overall["declared"] == 1
    assert overall["mtta_seconds"] == 300
    assert "Open now: 1 (1 critical)" in bob.ok("dashboard")
    assert "5m" in bob.ok("dashboard")

    feed = bob.json("announcements")
    assert [a["kind"] for a in feed] == ["lead_assigned", "declared"]
    assert "New incident INC-1" in bob.ok("announcements")
