"""Playbooks through the API: list, read, write, and suggestions by service and keyword."""

from __future__ import annotations

from .conftest import assert_problem, stored

BODY = "# Cache stampede\n\n- [ ] Turn on request coalescing\n- [ ] Warm the cache from the replica\n"


def test_playbooks_are_listed_read_and_written(team, factory, runtime):
    factory.playbooks()
    listed = team.as_vic.ok("get", "/playbooks")
    assert listed["total"] == 4
    assert "sign-in-broken" in [p["slug"] for p in listed["items"]]
    assert len(team.as_vic.ok("get", "/playbooks?limit=1&offset=3")["items"]) == 1

    created = team.as_bob.ok("post", "/playbooks", {"slug": "cache-stampede", "title": "Cache stampede",
                                                    "body_md": BODY, "services": ["Cache"], "keywords": ["stampede"]},
                             status=201)
    assert created["steps"] == ["Turn on request coalescing", "Warm the cache from the replica"]
    assert created["services"] == ["cache"]
    changed = team.as_bob.ok("put", "/playbooks/cache-stampede", {"title": "Cache stampede!", "body_md": BODY,
                                                                  "services": ["cache", "redis"]})
    assert changed["title"] == "Cache stampede!"
    assert team.as_vic.ok("get", "/playbooks/cache-stampede")["services"] == ["cache", "redis"]

    before = stored(runtime)
    assert_problem(team.as_vic.post("/playbooks", {"slug": "x", "title": "X", "body_md": "y"}), 403)
    assert_problem(team.as_bob.post("/playbooks", {"slug": "cache-stampede", "title": "T", "body_md": "b"}), 409)
    assert_problem(team.as_bob.post("/playbooks", {"slug": "Bad Slug", "title": "T", "body_md": "b"}), 422,
                   field="slug")
    assert_problem(team.as_bob.put("/playbooks/nothing", {"title": "T", "body_md": "b"}), 404)
    assert_problem(team.as_bob.put("/playbooks/cache-stampede", {"title": "T", "body_md": "b", "slug": "x"}), 422,
                   field="slug")
    assert_problem(team.as_vic.get("/playbooks/nothing"), 404)
    assert stored(runtime) == before


def test_suggestions_rank_services_above_keywords(team, factory):
    factory.playbooks()
    found = team.as_vic.ok("get", "/playbooks/suggestions?services=login&text=bad deploy broke the database")
    assert [s["slug"] for s in found] == ["sign-in-broken", "database-degraded", "roll-back-a-bad-deploy"]
    assert found[0]["because"] == "service login"
    assert team.as_vic.ok("get", "/playbooks/suggestions") == []
