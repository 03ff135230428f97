"""Closing as a false positive, mistyped commands in chat, and the calendar feeds keep a private incident private:
a responder taking no part gets what a missing incident gives and changes nothing; feeds carry no incident."""

from __future__ import annotations

import pytest

from warroom.core.actor import Actor
from warroom.oncall.schedules import feeds
from warroom.oncall.schedules import service as schedules

from ..api.conftest import assert_problem
from .conftest import BLIND, SECRET, same_but_number, snapshot

WHY = "the mirror was a private fork after all"


@pytest.mark.parametrize("who", BLIND)
def test_closing_it_as_a_false_positive_is_as_for_a_missing_incident(callers, incidents, runtime, who):
    before = snapshot(runtime)
    body = {"false_positive": True, "why": WHY}
    hidden = callers[who].post("/incidents/INC-2/close", body)
    missing = callers[who].post("/incidents/INC-99/close", body)
    assert hidden.status_code == missing.status_code
    assert same_but_number(missing.json()["detail"], hidden.json()["detail"])
    said = callers[who].post("/commands", {"text": f"/incident close --false-positive {WHY}", "incident": "INC-2"})
    assert SECRET not in said.text
    assert snapshot(runtime) == before


def test_the_reporter_closes_it_as_a_false_positive_and_the_answer_stays_with_them(callers, incidents, runtime):
    callers["bob"].ok("post", "/commands", {"text": "/incident lead @bob", "incident": "INC-2"})
    closed = callers["bob"].ok("post", "/incidents/INC-2/close", {"false_positive": True, "why": WHY})
    assert closed["incident"]["status"] == "closed"
    assert_problem(callers["rita"].get("/incidents/INC-2"), 404)


def test_calendar_feeds_show_shifts_and_nothing_of_any_incident(cast, incidents, runtime, clock, client):
    system = Actor.system(clock)
    with runtime.database.writing() as db:
        made = schedules.create_schedule(db=db, actor=system, slug="sec", name="Security", time_zone="UTC")
        schedules.add_layer(db=db, actor=system, schedule=made, rotation="weekly",
                            handoff_local="2026-01-05T09:00", participants=["@sam", "@bob"])
        key, base = runtime.secret_key, runtime.settings.base_url
        urls = [feeds.schedule_feed_url(db=db, schedule=made, key=key, base_url=base),
                feeds.user_feed_url(db=db, user=cast.bob, key=key, base_url=base)]
    for url in urls:
        body = client.get(url.removeprefix(base.rstrip("/"))).text
        assert "BEGIN:VEVENT" in body
        assert SECRET not in body and "INC-2" not in body
