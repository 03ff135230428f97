"""Lists page by limit/offset; the timeline, the feed and the audit log page by id cursor."""

from __future__ import annotations

from .conftest import declare


def test_incidents_page_by_limit_and_offset(team):
    refs = [declare(team.as_bob, title=f"Incident number {n}")["incident"]["ref"] for n in range(1, 6)]
    first = team.as_bob.ok("get", "/incidents?limit=2")
    assert [i["ref"] for i in first["items"]] == ["INC-5", "INC-4"]
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    last = team.as_bob.ok("get", "/incidents?limit=2&offset=4")
    assert [i["ref"] for i in last["items"]] == ["INC-1"]
    assert team.as_bob.ok("get", "/incidents?offset=10")["items"] == []
    default = team.as_bob.ok("get", "/incidents")
    assert default["limit"] == 50
    assert sorted(i["ref"] for i in default["items"]) == sorted(refs)


def test_the_timeline_pages_by_entry_id(team):
    ref = declare(team.as_bob)["incident"]["ref"]
    for n in range(1, 8):
        team.as_bob.ok("post", f"/incidents/{ref}/messages", {"text": f"note {n}"}, status=201)
    everything = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=200")
    assert everything["has_more"] is False
    ids = [e["id"] for e in everything["items"]]
    assert ids == sorted(ids)
    assert everything["items"][-1]["body"] == "note 7"

    latest = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=3")
    assert [e["id"] for e in latest["items"]] == ids[-3:]
    assert latest["has_more"] is True
    back = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=3&before={ids[-3]}")
    assert [e["id"] for e in back["items"]] == ids[-6:-3]
    oldest = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=200&before={ids[2]}")
    assert [e["id"] for e in oldest["items"]] == ids[:2]
    assert oldest["has_more"] is False

    forward = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=3&after=0")
    assert [e["id"] for e in forward["items"]] == ids[:3]
    assert forward["has_more"] is True
    tail = team.as_bob.ok("get", f"/incidents/{ref}/timeline?limit=3&after={ids[-3]}")
    assert [e["id"] for e in tail["items"]] == ids[-2:]
    assert tail["has_more"] is False
    assert team.as_bob.ok("get", f"/incidents/{ref}/timeline?after={ids[-1]}") == {"items": [], "has_more": False}


def test_the_announcements_feed_pages_back(team):
    for n in range(3):
        declare(team.as_bob, title=f"Outage {n}")
    newest = team.as_vic.ok("get", "/announcements?limit=2")
    assert [a["incident"] for a in newest["items"]] == ["INC-3", "INC-2"]
    assert newest["has_more"] is True
    assert newest["items"][0]["url"] == "http://warroom.test/incidents/INC-3"
    older = team.as_vic.ok("get", f"/announcements?limit=2&before={newest['items'][-1]['id']}")
    assert [a["incident"] for a in older["items"]] == ["INC-1"]
    assert older["has_more"] is False
