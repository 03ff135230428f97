"""`warroom incident …` against a real server: the CLI sees what its token's person may see."""

from __future__ import annotations

from .conftest import SECRET, participants


def test_the_cli_lists_shows_and_adds_people_as_each_person_may(remote, factory, cast, incidents, runtime):
    rita = remote.as_(factory.token(cast.rita))
    listed = rita.json("incident", "list")
    assert [i["ref"] for i in listed["items"]] == ["INC-1"] and listed["total"] == 1
    rita.fails("incident", "show", "INC-2", says="No incident INC-2.")
    rita.fails("incident", "timeline", "INC-2", says="No incident INC-2.")
    rita.fails("incident", "invite", "INC-2", "@rita", says="No incident INC-2.")
    assert SECRET not in rita.ok("incident", "list")

    bob = remote.as_(factory.token(cast.bob))
    assert [i["ref"] for i in bob.json("incident", "list")["items"]] == ["INC-2", "INC-1"]
    assert SECRET in bob.ok("incident", "show", "INC-2")
    assert "Added @rita to INC-2" in bob.ok("incident", "invite", "INC-2", "@rita")
    bob.fails("incident", "invite", "INC-2", "@ghost", says="No user '@ghost'")
    assert participants(runtime, 2) == {"sam": "security team", "rita": "invited"}

    rita = remote.as_(factory.token(cast.rita))
    assert SECRET in rita.ok("incident", "show", "INC-2")
    # Flagging later with `incident edit --security`: bob, who takes no part in INC-1, loses sight of it.
    assert "security: yes" in rita.ok("incident", "edit", "INC-1", "--security")
    bob = remote.as_(factory.token(cast.bob))
    bob.fails("incident", "show", "INC-1", says="No incident INC-1.")
