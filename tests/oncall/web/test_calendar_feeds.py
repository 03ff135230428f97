"""Calendars that subscribe: a person's and a schedule's feed at a secret URL (no API token in it), shown on the
profile and the schedule page, renewed with "New URL" (the old URL is refused), parsed with icalendar across
Berlin's switch to summer time, with the shift in progress keeping its UID while the schedule is recomputed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from warroom.accounts.models import TokenScope
from warroom.core.actor import Actor
from warroom.oncall.schedules import service as schedules

from .conftest import written

FEED_URL = re.compile(r'id="feed-url" class="mono" value="https?://[^/"]+(/calendars/[^"]+\.ics)"')
BERLIN = ZoneInfo("Europe/Berlin")


def _feed_path(page_text: str) -> str:
    found = FEED_URL.search(page_text)
    assert found, "no feed URL on the page"
    return found.group(1)


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return list(calendar.walk("VEVENT"))


def test_a_person_s_feed_is_read_at_its_secret_url_and_a_new_url_refuses_the_old(
        browser, people, schedule, client, factory, runtime):
    bob = browser(people.bob)
    path = _feed_path(bob.get("/profile").text)
    assert path.startswith(f"/calendars/users/{people.bob.id}/") and "token" not in path

    subscribed = client.get(path)  # a calendar app: no session, no token
    assert subscribed.status_code == 200 and subscribed.headers["content-type"].startswith("text/calendar")
    assert str(icalendar.Calendar.from_ical(subscribed.content)["X-WR-CALNAME"]) == "On call: @bob"
    assert _events(subscribed.content)
    assert client.get(path.replace(f"/{people.bob.id}/", f"/{people.alice.id}/")).status_code == 404

    assert bob.post("/profile/calendar-feed", {}).status_code == 303
    renewed = _feed_path(bob.get("/profile").text)
    assert renewed != path
    refused = client.get(path)
    assert refused.status_code == 404
    assert "replaced by a new one" in refused.text and "your profile" in refused.text
    assert client.get(renewed).status_code == 200

    # An API token in a calendar link is no way in any more: the download asks a browser to sign in.
    token = factory.token(people.vic, TokenScope.read)
    assert client.get(f"/oncall/users/bob.ics?token={token}", headers={"accept": "text/html"},
                      follow_redirects=False).status_code == 303


def test_a_schedule_s_feed_is_shown_to_responders_and_renewed_by_them(browser, people, schedule, client, runtime):
    bob = browser(people.bob)
    path = _feed_path(bob.get("/oncall/schedules/platform-primary").text)
    assert path.startswith(f"/calendars/schedules/{schedule.id}/")
    assert "X-WR-CALNAME:On call: Platform primary" in client.get(path).text

    vic = browser(people.vic)
    assert 'id="feed-url"' not in vic.get("/oncall/schedules/platform-primary").text
    before = written(runtime)
    refused = vic.post("/oncall/schedules/platform-primary/calendar-feed", {})
    assert refused.status_code == 403
    assert written(runtime) == before
    assert client.get(path).status_code == 200

    assert bob.post("/oncall/schedules/platform-primary/calendar-feed", {}).status_code == 303
    assert client.get(path).status_code == 404
    assert client.get(_feed_path(bob.get("/oncall/schedules/platform-primary").text)).status_code == 200


def test_daily_shifts_across_the_switch_to_summer_time_and_the_shift_in_progress_keeps_its_uid(
        browser, people, client, runtime, clock):
    clock.set(datetime(2027, 3, 27, 12, 0, tzinfo=UTC))  # Saturday; Berlin moves to CEST early on Sunday
    system = Actor.system(clock)
    with runtime.database.writing() as db:
        made = schedules.create_schedule(db=db, actor=system, slug="search-daily", name="Search daily",
                                         time_zone="Europe/Berlin")
        schedules.add_layer(db=db, actor=system, schedule=made, rotation="daily", handoff_local="2027-03-01T09:00",
                            participants=["@alice", "@bob", "@carol"], name="Daily")
    path = _feed_path(browser(people.bob).get("/oncall/schedules/search-daily").text)

    events = _events(client.get(path).content)
    spans = {e.decoded("dtstart"): e.decoded("dtend") for e in events}
    around = [datetime(2027, 3, d, tzinfo=BERLIN) for d in (26, 27, 28, 29)]
    for day in around:
        start = day.replace(hour=9)
        assert start in spans, start  # every hand-off at 09:00 Berlin time, in winter and in summer
        assert spans[start].astimezone(BERLIN).hour == 9
    assert spans[around[1].replace(hour=9)] - around[1].replace(hour=9) == timedelta(hours=23)  # the short day
    assert spans[around[2].replace(hour=9)] - around[2].replace(hour=9) == timedelta(hours=24)
    assert len({str(e["uid"]) for e in events}) == len(events)

    def in_progress(body: bytes) -> icalendar.Event:
        now = clock.now()
        [event] = [e for e in _events(body) if e.decoded("dtstart") <= now < e.decoded("dtend")]
        return event

    first = in_progress(client.get(path).content)
    clock.advance(timedelta(hours=3))
    with runtime.database.writing() as db:  # the schedule is recomputed: someone covers the evening
        schedules.add_override(db=db, actor=system, schedule=made, user="@alice",
                               start_at=datetime(2027, 3, 27, 18, 0, tzinfo=UTC),
                               end_at=datetime(2027, 3, 27, 20, 0, tzinfo=UTC))
    again = in_progress(client.get(path).content)
    assert str(again["uid"]) == str(first["uid"])
    assert again.decoded("dtstart") == first.decoded("dtstart") == datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
    assert again.decoded("dtend") == datetime(2027, 3, 27, 18, 0, tzinfo=UTC)  # cut where the override begins
