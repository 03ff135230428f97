"""/oncall: who is on call (now, or at a time) for every schedule and team, and the "page someone" form."""

from __future__ import annotations

from warroom.oncall.alerts.models import AlertStatus
from warroom.oncall.schedules import service as schedules

from .conftest import load_alert, page_team, written


def test_the_board_shows_who_is_on_call_now_for_each_schedule_and_team(browser, people, schedule):
    page = browser(people.bob).get("/oncall")
    assert page.status_code == 200
    assert '<a href="/oncall/schedules/platform-primary">Platform primary</a>' in page.text
    # 2026-01-05 09:00 UTC is 10:00 in Berlin: alice's first week (hand-off Mondays 09:00 Berlin).
    card = page.text.split("Platform primary</a>", 1)[1].split("</li>", 1)[0]
    assert '<span class="oc-person">@alice</span>' in card
    assert "until Mon 12 Jan 09:00" in card and "Next: @bob from Mon 12 Jan 09:00" in card
    assert "<th scope=\"row\">engineering</th>" in page.text
    support = page.text.split('<th scope="row">customer-support</th>', 1)[1].split("</tr>", 1)[0]
    assert "all 1 member (no schedule)" in support
    assert 'aria-current="page">On call</a>' in page.text  # the navigation says where we are


def test_the_time_picker_shows_another_moment_in_the_chosen_zone(browser, people, schedule):
    bob = browser(people.bob)
    later = bob.get("/oncall?at=2026-01-12T09:00&zone=Europe/Berlin")  # the hand-off instant: the new person
    assert later.status_code == 200
    assert "On call at Mon 12 Jan 09:00" in later.text
    card = later.text.split("Platform primary</a>", 1)[1].split("</li>", 1)[0]
    assert "@bob" in card and "@alice</span>" not in card
    assert 'href="/oncall">Back to now' in later.text
    before = bob.get("/oncall?at=2026-01-12T08:59&zone=Europe/Berlin")
    assert '<span class="oc-person">@alice</span>' in before.text.split("Platform primary</a>", 1)[1].split("</li>")[0]


def test_a_bad_time_is_a_red_line_and_the_board_shows_now(browser, people, schedule):
    page = browser(people.bob).get("/oncall?at=next+tuesday")
    assert page.status_code == 422
    assert ('<p class="error" role="alert">&#39;next tuesday&#39; is not a time; write it as YYYY-MM-DDTHH:MM'
            in page.text)
    assert "On call now" in page.text
    assert browser(people.bob).get("/oncall?zone=Mars/Olympus").status_code == 422


def test_paging_a_team_opens_an_alert_and_shows_it(browser, people, schedule, runtime):
    bob = browser(people.bob)
    response = bob.post("/oncall/page", {"description": "we have an incident, please help", "target": "engineering"})
    assert response.status_code == 303
    assert response.headers["location"] == "/alerts/1"
    alert = load_alert(runtime, 1)
    assert (alert.message, alert.status, alert.responders) == (
        "we have an incident, please help", AlertStatus.open, [{"type": "team", "id": alert.team_id}])
    shown = bob.get("/alerts/1")
    assert "Paged team engineering: alert #1" in shown.text
    again = bob.post("/oncall/page", {"description": "another page", "target": "@carol", "priority": "P1"})
    assert again.headers["location"] == "/alerts/2"
    assert load_alert(runtime, 2).priority.value == "P1"


def test_paging_into_an_incident_records_it_in_the_room(browser, people, schedule, runtime, factory):
    incident = factory.incident(people.bob, title="Checkout is down")
    bob = browser(people.bob)
    response = bob.post("/oncall/page", {"description": "please help with checkout", "target": "customer-support",
                                         "incident": incident.ref})
    assert response.status_code == 303
    assert load_alert(runtime, 1).incident_id == incident.id
    assert f"in {incident.ref}: alert #1" in bob.get("/alerts/1").text
    room = bob.get(f"/incidents/{incident.ref}").text
    assert "Paged team customer-support: please help with checkout (alert #1)" in room


def test_paging_nobody_known_is_refused_with_the_domain_message_and_writes_nothing(browser, people, schedule,
                                                                                     runtime):
    bob = browser(people.bob)
    before = written(runtime)
    page = bob.post("/oncall/page", {"description": "help", "target": "the-night-shift"})
    assert page.status_code == 404
    assert ("No team or person &#39;the-night-shift&#39;. Use a team name (e.g. customer-support), @handle or email."
            in page.text)
    assert ">help</textarea>" in page.text and 'value="the-night-shift"' in page.text  # what was typed stays
    empty = bob.post("/oncall/page", {"description": "   ", "target": "engineering"})
    assert empty.status_code == 422 and "An alert needs a message saying what is wrong." in empty.text
    assert written(runtime) == before


def test_viewers_see_the_page_form_disabled_and_cannot_page(browser, people, schedule, runtime):
    vic = browser(people.vic)
    page = vic.get("/oncall")
    assert "Viewers cannot page." in page.text
    assert '<button type="submit" class="btn btn--danger" disabled>Page</button>' in page.text
    before = written(runtime)
    refused = vic.post("/oncall/page", {"description": "help", "target": "engineering"})
    assert refused.status_code == 403
    assert "@vic has viewer access; this needs responder." in refused.text
    assert written(runtime) == before


def test_a_page_without_the_csrf_token_is_refused(browser, people, schedule, runtime):
    bob = browser(people.bob)
    before = written(runtime)
    refused = bob.post("/oncall/page", {"description": "help", "target": "engineering"}, csrf=False)
    assert refused.status_code == 403
    assert "security token is missing or stale" in refused.text
    forged = bob.post("/oncall/page", {"description": "help", "target": "engineering", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert written(runtime) == before


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/oncall", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/oncall"


# Creating a schedule (admins) -------------------------------------------------------------------------------


def test_an_admin_creates_a_schedule(browser, people, runtime):
    alice = browser(people.alice)
    assert "New schedule" in alice.get("/oncall").text
    response = alice.post("/oncall/schedules", {"slug": "support-primary", "name": "Support primary",
                                                "time_zone": "america/new_york", "team": "customer-support"})
    assert response.status_code == 303
    assert response.headers["location"] == "/oncall/schedules/support-primary"
    page = alice.get("/oncall/schedules/support-primary")
    assert "Created schedule Support primary." in page.text
    assert "Team customer-support · times in America/New_York" in page.text
    with runtime.database.reading() as db:
        assert schedules.get_schedule(db=db, ref="support-primary").time_zone == "America/New_York"


def test_a_schedule_with_a_bad_zone_is_refused_and_nothing_is_written(browser, people, runtime):
    alice = browser(people.alice)
    before = written(runtime)
    page = alice.post("/oncall/schedules", {"slug": "eu", "name": "Europe", "time_zone": "Europe/Berln"})
    assert page.status_code == 422
    assert "Unknown time zone &#39;Europe/Berln&#39;. Did you mean Europe/Berlin or" in page.text
    assert 'value="Europe/Berln"' in page.text
    taken = alice.post("/oncall/schedules", {"slug": "eu", "name": "Europe", "time_zone": "UTC", "team": "nope"})
    assert taken.status_code == 422 and "No team &#39;nope&#39;." in taken.text
    assert written(runtime) == before


def test_responders_cannot_create_schedules(browser, people, runtime):
    bob = browser(people.bob)
    assert "New schedule" not in bob.get("/oncall").text
    before = written(runtime)
    refused = bob.post("/oncall/schedules", {"slug": "mine", "name": "Mine", "time_zone": "UTC"})
    assert refused.status_code == 403 and "this needs admin" in refused.text
    assert written(runtime) == before


def test_an_alert_paged_here_is_on_the_open_tab(browser, people, schedule, runtime, factory):
    page_team(runtime, factory, people.bob, description="Search is slow")
    listing = browser(people.vic).get("/alerts")
    assert "Search is slow" in listing.text


def test_escalation_policies_are_shown_read_only(browser, people, schedule, runtime):
    from warroom.accounts import service as accounts
    from warroom.core.actor import Actor
    from warroom.oncall.escalation import policies

    with runtime.database.writing() as db:
        policies.create_policy(
            db=db, actor=Actor.system(runtime.clock), slug="engineering-default", name="Engineering default",
            team=accounts.find_team(db=db, name="engineering"), repeat=2,
            steps=[{"delay_minutes": 5, "targets": [{"type": "schedule", "id": "platform-primary"}]},
                   {"delay_minutes": 10, "targets": [{"type": "user", "id": "@carol"},
                                                     {"type": "team", "id": "engineering"}]}])
    page = browser(people.vic).get("/oncall")
    assert "Engineering default" in page.text and "Repeats 2 more times while nobody acknowledges." in page.text
    assert "<li>Page schedule platform-primary; wait 5 min</li>" in page.text
    assert "<li>Page @carol, team engineering; wait 10 min</li>" in page.text
    engineering = page.text.split('<th scope="row">engineering</th>', 1)[1].split("</tr>", 1)[0]
    assert "then escalates by Engineering default" in engineering
