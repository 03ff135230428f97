"""Calendar feed URLs through the API: a person reads their own (admins anyone's), responders a schedule's; a new
URL refuses the old one; the URL itself needs no token."""

from __future__ import annotations

from urllib.parse import urlsplit

from ...api.conftest import assert_problem


def _path(url: str) -> str:
    return urlsplit(url).path


def test_a_person_s_feed_url_is_theirs_to_read_and_renew(org, on_call, client):
    url = org.as_dan.ok("get", "/users/dan/calendar-feed")["url"]
    assert org.as_alice.ok("get", "/users/dan/calendar-feed")["url"] == url
    assert_problem(org.as_bob.get("/users/dan/calendar-feed"), 403, contains="Only @dan or an admin")
    assert_problem(org.as_bob.post("/users/dan/calendar-feed"), 403)
    feed = client.get(_path(url))
    assert feed.status_code == 200 and "X-WR-CALNAME:On call: @dan" in feed.text

    renewed = org.as_dan.ok("post", "/users/dan/calendar-feed")["url"]
    assert renewed != url
    assert client.get(_path(url)).status_code == 404
    assert client.get(_path(renewed)).status_code == 200
    assert "calendar_feed.renew" in [e["action"] for e in org.as_alice.ok("get", "/audit?limit=50")["items"]]


def test_a_schedule_s_feed_url_is_for_responders(org, on_call, client):
    assert_problem(org.as_vic.get("/schedules/eng-primary/calendar-feed"), 403)
    url = org.as_bob.ok("get", "/schedules/eng-primary/calendar-feed")["url"]
    assert "X-WR-CALNAME:On call: Engineering primary" in client.get(_path(url)).text
    renewed = org.as_carol.ok("post", "/schedules/eng-primary/calendar-feed")["url"]
    assert client.get(_path(url)).status_code == 404 and client.get(_path(renewed)).status_code == 200
    assert_problem(org.as_bob.get("/schedules/nope/calendar-feed"), 404, contains="No schedule 'nope'")
