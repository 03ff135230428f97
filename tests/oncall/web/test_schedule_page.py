"""/oncall/schedules/{slug}: the timeline of the coming weeks, layers, overrides, and the .ics feeds."""

from __future__ import annotations

import re

from warroom.accounts.models import TokenScope
from warroom.oncall.schedules import service as schedules
from warroom.oncall.schedules.models import ScheduleOverride

from .conftest import written


def blocks(html: str, row: str) -> list[tuple[int, str]]:
    """(colspan, @handle) of a timeline row's cells, gaps as '' (a narrow cell names its person in its title)."""
    body = html.split(f"tl-row--{row}", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td colspan="(\d+)" class="tl-[^"]*"(?: title="(@[\w-]+))?', body)
    return [(int(span), handle) for span, handle in cells]


def test_the_timeline_has_a_row_per_layer_and_the_final_row_with_a_marker_at_now(browser, people, schedule):
    page = browser(people.vic).get("/oncall/schedules/platform-primary")
    assert page.status_code == 200
    html = page.text
    assert "On call now:</strong>\n@alice" in html
    assert 'class="tl-row tl-row--layer"' in html and 'class="tl-row tl-row--final"' in html
    final = blocks(html, "final")
    # Two weeks from local midnight (Mon 5 Jan, Berlin): nobody before the first hand-off, alice, then bob.
    assert [text for _, text in final] == ["", "@alice", "@bob"]
    assert sum(span for span, _ in final) == 336
    assert final[0][0] == 9 and final[1][0] == 7 * 24  # nobody before the first hand-off at 09:00
    assert blocks(html, "layer") == final  # one layer, no overrides: the layer is the final schedule
    # Now is 10:00 in Berlin on the first day: column 10 of 336.
    assert re.search(r'<td colspan="10"></td>\s*<td colspan="326" class="tl-now"><span>now</span></td>', html)
    assert re.findall(r'class="tl-day[^"]*">([^<]+)</th>', html)[:3] == ["Mon 5", "Tue 6", "Wed 7"]
    assert "Weekly" in html and "@alice → @bob" in html and "2026-01-05 09:00" in html
    assert 'href="/oncall/schedules/platform-primary.ics"' in html


def test_the_window_moves_and_changes_length(browser, people, schedule):
    bob = browser(people.bob)
    later = bob.get("/oncall/schedules/platform-primary?start=2026-01-12&days=7")
    assert later.status_code == 200
    assert "The coming 7 days" in later.text and "tl-now" not in later.text  # now is not in this window
    assert [text for _, text in blocks(later.text, "final")] == ["@alice", "@bob"]  # bob from Monday 09:00
    month = bob.get("/oncall/schedules/platform-primary?days=28")
    assert re.findall(r'class="tl-day[^"]*">([^<]+)</th>', month.text)[:2] == ["5", "6"]  # dates alone
    assert bob.get("/oncall/schedules/platform-primary?days=5").status_code == 422
    assert bob.get("/oncall/schedules/platform-primary?start=soon").status_code == 422
    assert bob.get("/oncall/schedules/nope").status_code == 404


def test_an_admin_adds_a_layer_with_business_hours(browser, people, schedule, runtime):
    alice = browser(people.alice)
    response = alice.post("/oncall/schedules/platform-primary/layers", {
        "name": "Business hours", "rotation": "daily", "handoff_local": "2026-01-05T09:00",
        "participants": "@carol, bob", "day0": "1", "day1": "1", "day2": "1", "day3": "1", "day4": "1",
        "restrict_start": "09:00", "restrict_end": "17:00"})
    assert response.status_code == 303
    page = alice.get("/oncall/schedules/platform-primary")
    assert "Added layer Business hours to Platform primary" in page.text
    assert "Mon, Tue, Wed, Thu, Fri 09:00\N{EN DASH}17:00" in page.text
    with runtime.database.reading() as db:
        layer = schedules.list_layers(db=db, schedule=schedule)[-1]
        assert (layer.rotation.value, layer.restrictions) == (
            "daily", [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}])
    final = blocks(page.text, "final")
    assert ("@carol" in [t for _, t in final]) and page.text.count('class="tl-row tl-row--layer"') == 2


def test_a_custom_layer_and_a_bad_layer(browser, people, schedule, runtime):
    alice = browser(people.alice)
    made = alice.post("/oncall/schedules/platform-primary/layers", {
        "rotation": "custom", "length_hours": "12", "handoff_local": "2026-01-05T08:00", "participants": "@bob @alice"})
    assert made.status_code == 303
    assert "every 12 hours" in alice.get("/oncall/schedules/platform-primary").text
    before = written(runtime)
    nobody = alice.post("/oncall/schedules/platform-primary/layers", {
        "rotation": "weekly", "handoff_local": "2026-01-05T09:00", "participants": "@alice @ghost"})
    assert nobody.status_code == 422
    assert "Not done: No user &#39;@ghost&#39;." in nobody.text
    assert 'value="@alice @ghost"' in nobody.text  # the form opens again with what was typed
    half = alice.post("/oncall/schedules/platform-primary/layers", {
        "rotation": "weekly", "handoff_local": "2026-01-05T09:00", "participants": "@alice", "day0": "1"})
    assert half.status_code == 422 and "Restriction 1: needs exactly days, start and end." in half.text
    when = alice.post("/oncall/schedules/platform-primary/layers", {
        "rotation": "weekly", "handoff_local": "Monday", "participants": "@alice"})
    assert when.status_code == 422 and "&#39;Monday&#39; is not a hand-off time." in when.text
    assert written(runtime) == before


def test_responders_cannot_add_layers_and_viewers_see_disabled_overrides(browser, people, schedule, runtime):
    bob, vic = browser(people.bob), browser(people.vic)
    assert "Add a layer" not in bob.get("/oncall/schedules/platform-primary").text
    before = written(runtime)
    refused = bob.post("/oncall/schedules/platform-primary/layers", {
        "rotation": "weekly", "handoff_local": "2026-01-05T09:00", "participants": "@bob"})
    assert refused.status_code == 403 and "this needs admin" in refused.text
    page = vic.get("/oncall/schedules/platform-primary")
    assert "Viewers cannot add overrides." in page.text
    assert '<button type="submit" class="btn btn--primary" disabled>Add override</button>' in page.text
    denied = vic.post("/oncall/schedules/platform-primary/overrides", {
        "user": "@vic", "start": "2026-01-06T09:00", "end": "2026-01-07T09:00"})
    assert denied.status_code == 403 and "@vic has viewer access" in denied.text
    assert written(runtime) == before


def test_a_responder_adds_an_override_and_removes_it(browser, people, schedule, runtime):
    bob = browser(people.bob)
    response = bob.post("/oncall/schedules/platform-primary/overrides", {
        "user": "@bob", "replaces": "@alice", "start": "2026-01-06T18:00", "end": "2026-01-07T09:00"})
    assert response.status_code == 303
    page = bob.get("/oncall/schedules/platform-primary")
    assert ("@bob covers Platform primary from Tue 6 Jan 18:00 until Wed 7 Jan 09:00 (Europe/Berlin)"
            in page.text)
    assert "<strong>@bob</strong> covers for @alice" in page.text
    assert [t for _, t in blocks(page.text, "overrides") if t] == ["@bob"]
    assert [t for _, t in blocks(page.text, "final")] == ["", "@alice", "@bob", "@alice", "@bob"]
    with runtime.database.reading() as db:
        override = db.query(ScheduleOverride).one()
        # Typed as Berlin wall-clock time: 18:00 in Berlin is 17:00 UTC.
        assert override.start_at.isoformat().startswith("2026-01-06T17:00")
    removed = bob.post(f"/oncall/schedules/platform-primary/overrides/{override.id}/remove")
    assert removed.status_code == 303
    assert "no longer covers that period" in bob.get("/oncall/schedules/platform-primary").text
    assert written(runtime).overrides == 0


def test_a_bad_override_is_refused_and_nothing_is_written(browser, people, schedule, runtime):
    bob = browser(people.bob)
    before = written(runtime)
    backwards = bob.post("/oncall/schedules/platform-primary/overrides", {
        "user": "@bob", "start": "2026-01-07T09:00", "end": "2026-01-06T09:00"})
    assert backwards.status_code == 422
    assert "Not done: An override ends after it starts." in backwards.text
    assert 'value="2026-01-07T09:00"' in backwards.text
    garbled = bob.post("/oncall/schedules/platform-primary/overrides", {
        "user": "@bob", "start": "tomorrow", "end": "2026-01-06T09:00"})
    assert garbled.status_code == 422 and "&#39;tomorrow&#39; is not a time" in garbled.text
    stale = bob.post("/oncall/schedules/platform-primary/overrides", {
        "user": "@bob", "start": "2026-01-06T09:00", "end": "2026-01-07T09:00"}, csrf=False)
    assert stale.status_code == 403 and "security token" in stale.text
    missing = bob.post("/oncall/schedules/platform-primary/overrides/99/remove")
    assert missing.status_code == 404 and "No schedule override #99." in missing.text
    assert written(runtime) == before


def test_the_schedule_calendar_is_served_as_icalendar(browser, people, schedule):
    response = browser(people.vic).get("/oncall/schedules/platform-primary.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    body = response.text
    assert body.startswith("BEGIN:VCALENDAR") and "X-WR-CALNAME:On call: Platform primary" in body
    assert "SUMMARY:On call: Platform primary" in body
    assert "DESCRIPTION:@alice is on call for Platform primary." in body
    assert "DESCRIPTION:@bob is on call for Platform primary." in body
    assert "DTSTART:20260105T080000Z" in body  # the first hand-off, 09:00 in Berlin


def test_a_person_s_calendar_is_downloaded_signed_in_and_an_api_token_is_no_way_in(browser, people, schedule,
                                                                                    client, factory):
    mine = browser(people.bob).get("/oncall/users/bob.ics")
    assert mine.status_code == 200 and "X-WR-CALNAME:On call: @bob" in mine.text
    assert "@alice" not in mine.text and mine.text.count("BEGIN:VEVENT") >= 2
    signed_out = client.get("/oncall/users/bob.ics", headers={"accept": "text/html"}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login?next=")
    token = factory.token(people.vic, TokenScope.read)  # calendar apps use the feed's secret URL instead
    app = client.get(f"/oncall/schedules/platform-primary.ics?token={token}", follow_redirects=False)
    assert app.status_code == 303 and "BEGIN:VCALENDAR" not in app.text
    assert browser(people.bob).get("/oncall/users/nobody.ics").status_code == 404
