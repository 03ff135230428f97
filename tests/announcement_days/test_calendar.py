"""The calendar in the web UI and the API: admins and marketing keep it; bad input is refused, nothing written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warroom.accounts.models import TokenScope

from ..api.conftest import assert_problem
from .conftest import day_on_now, snapshot

DAY = {"title": "Series B announcement", "kind": "funding", "time_zone": "Europe/Berlin", "owner": "@erin",
       "date": "2026-03-10", "reminder_minutes": 15, "notes": "Blog post at 09:00"}


@pytest.fixture
def tokens(factory, team):
    return {name: {"authorization": f"Bearer {factory.token(team[name], scope)}"}
            for name, scope in (("alice", TokenScope.admin), ("erin", TokenScope.write), ("bob", TokenScope.write),
                                ("vic", TokenScope.read))}


def test_marketing_keeps_the_calendar_in_the_web_ui(runtime, team, browser):
    erin = browser(team["erin"])
    form = {k: str(v) for k, v in DAY.items()}
    added = erin.post("/announcement-days/new", form)
    assert added.status_code == 303, added.text
    page = erin.get("/announcement-days")
    assert "Series B announcement" in page.text
    assert "Tue 10 Mar 2026 (Europe/Berlin)" in page.text
    assert "status reminders every 15 min" in page.text and "@erin" in page.text
    edit = erin.get("/announcement-days/1/edit")
    assert 'value="2026-03-10"' in edit.text
    changed = erin.post("/announcement-days/1/edit", dict(form, date="", starts="2026-03-10T09:00",
                                                           ends="2026-03-10T18:00", kind="launch"))
    assert changed.status_code == 303, changed.text
    assert "Tue 10 Mar 2026 09:00 to 18:00 (Europe/Berlin)" in erin.get("/announcement-days").text
    assert erin.post("/announcement-days/1/delete").status_code == 303
    assert "No announcement days planned" in erin.get("/announcement-days").text


def test_everyone_reads_the_calendar_but_only_admins_and_marketing_write(runtime, team, browser):
    bob, vic = browser(team["bob"]), browser(team["vic"])
    browser(team["alice"]).post("/announcement-days/new", {k: str(v) for k, v in DAY.items()})
    page = bob.get("/announcement-days")
    assert "Series B announcement" in page.text and "Add a day" not in page.text
    before = snapshot(runtime)
    refused = bob.post("/announcement-days/new", {k: str(v) for k, v in DAY.items()})
    assert refused.status_code == 403 and "marketing team" in refused.text
    assert bob.post("/announcement-days/1/delete").status_code == 403
    viewer = vic.post("/announcement-days/1/edit", {k: str(v) for k, v in DAY.items()})
    assert viewer.status_code == 403 and "viewer access" in viewer.text  # in marketing, but a viewer
    assert snapshot(runtime) == before


def test_the_api_keeps_the_calendar(client, tokens, clock):
    created = client.post("/api/v1/announcement-days", json=DAY, headers=tokens["erin"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["starts_at"] == "2026-03-09T23:00:00Z" and body["ends_at"] == "2026-03-10T23:00:00Z"
    assert body["when"] == "Tue 10 Mar 2026 (Europe/Berlin)" and body["state"] == "upcoming"
    assert body["owner"] == "erin" and body["reminder_minutes"] == 15
    ranged = dict(DAY, date="", starts="2026-01-05T08:00", ends="2026-01-05T12:00", time_zone="UTC")
    changed = client.put("/api/v1/announcement-days/1", json=ranged, headers=tokens["alice"])
    assert changed.status_code == 200 and changed.json()["state"] == "on now"  # the clock says 09:00 UTC
    listed = client.get("/api/v1/announcement-days", headers=tokens["vic"]).json()
    assert [d["id"] for d in listed["items"]] == [1]
    clock.set(datetime(2026, 1, 6, tzinfo=UTC))
    assert client.get("/api/v1/announcement-days?past=false", headers=tokens["vic"]).json()["items"] == []
    assert client.delete("/api/v1/announcement-days/1", headers=tokens["erin"]).status_code == 204
    assert_problem(client.get("/api/v1/announcement-days/1", headers=tokens["vic"]), 404)


@pytest.mark.parametrize(("change", "field", "contains"), [
    ({"date": "", "starts": "2026-03-10T18:00", "ends": "2026-03-10T09:00"}, "ends", "is not after the start"),
    ({"date": "", "starts": "2026-03-10T09:00", "ends": "2026-03-20T09:00"}, "ends", "at most 7 days"),
    ({"date": "", "starts": "2026-03-10T09:00"}, "ends", "Give the end time too"),
    ({"starts": "2026-03-10T09:00", "ends": "2026-03-10T18:00"}, "date", "not both"),
    ({"date": ""}, "date", "Give either a date"),
    ({"date": "10/03/2026"}, "date", "is not a date"),
    ({"owner": "@nobody"}, "owner", "No person '@nobody'"),
    ({"owner": ""}, "owner", "Name the marketing owner"),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone 'Mars/Olympus'"),
    ({"kind": "party"}, "kind", "Use one of: funding, launch, campaign, other"),
    ({"title": "  "}, "title", "Give the day a title"),
    ({"reminder_minutes": 0}, "reminder_minutes", "from 1 to 1440"),
    ({"reminder_minutes": 5000}, "reminder_minutes", "from 1 to 1440"),
])
def test_bad_days_are_refused_with_what_to_fix(runtime, client, tokens, change, field, contains):
    before = snapshot(runtime)
    refused = client.post("/api/v1/announcement-days", json=dict(DAY, **change), headers=tokens["erin"])
    assert_problem(refused, 422, contains=contains, field=field)
    assert snapshot(runtime) == before


def test_bad_days_in_the_web_form_show_the_error_and_keep_what_was_typed(runtime, team, browser):
    erin = browser(team["erin"])
    before = snapshot(runtime)
    refused = erin.post("/announcement-days/new", dict({k: str(v) for k, v in DAY.items()},
                                                       time_zone="Mars/Olympus", title="<b>Launch</b>"))
    assert refused.status_code == 422
    assert "Unknown time zone" in refused.text
    assert "&lt;b&gt;Launch&lt;/b&gt;" in refused.text and "<b>Launch</b>" not in refused.text
    assert erin.post("/announcement-days/new", dict({k: str(v) for k, v in DAY.items()},
                                                    reminder_minutes="soon")).status_code == 422
    assert snapshot(runtime) == before


def test_who_may_write_over_the_api(runtime, client, tokens):
    before = snapshot(runtime)
    assert_problem(client.post("/api/v1/announcement-days", json=DAY, headers=tokens["bob"]), 403,
                   contains="marketing team")
    assert_problem(client.post("/api/v1/announcement-days", json=DAY, headers=tokens["vic"]), 403)
    assert_problem(client.post("/api/v1/announcement-days", json=dict(DAY, colour="red"), headers=tokens["erin"]),
                   422)
    assert_problem(client.put("/api/v1/announcement-days/7", json=DAY, headers=tokens["erin"]), 404)
    assert snapshot(runtime) == before


def test_titles_are_escaped_in_the_room_banner(runtime, factory, team, browser):
    day_on_now(runtime, title="<script>alert(1)</script>")
    factory.incident(team["bob"])
    room = browser(team["bob"]).get("/incidents/INC-1").text
    assert "<script>alert(1)</script>" not in room
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in room


@pytest.mark.parametrize("value", [True, "15", 2.5])
def test_the_reminder_interval_is_a_whole_number_over_the_api(runtime, client, tokens, value):
    before = snapshot(runtime)
    refused = client.post("/api/v1/announcement-days", json=dict(DAY, reminder_minutes=value), headers=tokens["erin"])
    assert_problem(refused, 422, field="reminder_minutes")
    assert snapshot(runtime) == before
