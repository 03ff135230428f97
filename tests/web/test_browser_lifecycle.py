"""The handbook's lifecycle in real headless Chromium: two people, two browsers, one live room.

alice declares a critical incident and runs it; bob has the room open in his own browser and
sees every change arrive without reloading. Screenshots of the room and the dashboard, at
desktop width and at 375 px, are saved to test-results/ for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
TITLE = "Checkout fails for every customer after the 4.2 deploy"


def test_declare_coordinate_resolve_close_and_find_it(live_server, chromium):  # browser closes first
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    RESULTS.mkdir(exist_ok=True)
    base = live_server.url

    # alice declares a critical incident with customer impact.
    alice = signed_in(chromium, base, "alice")
    alice.get_by_role("link", name=re.compile("Declare")).click()
    alice.get_by_label("What is happening?").fill(TITLE)
    alice.get_by_label("Description").fill("Every checkout returns HTTP 500 since 10:02.")
    alice.get_by_role("radio", name=re.compile(r"^Critical")).check()
    alice.get_by_role("checkbox", name=re.compile(r"^Customers are affected")).check()
    alice.get_by_label("Affected services").fill("api, checkout")
    alice.locator("form button[type=submit]", has_text="Declare incident").click()
    expect(alice).to_have_url(base + "/incidents/INC-2")
    expect(alice.locator(".suggestions")).to_contain_text("Roll back a bad deploy")
    expect(alice.locator("#live-state")).to_have_text("live")

    # bob opens the room in his own browser and keeps it open.
    bob = signed_in(chromium, base, "bob")
    bob.goto("/incidents/INC-2")
    expect(bob.locator("#live-state")).to_have_text("live")
    bob.evaluate("window.stillTheSamePage = true")
    bob_timeline = bob.locator("#timeline-list")

    # Roles: alice makes bob the lead and carol the messenger; bob sees both arrive and says "I'm on it".
    alice.locator("#f-who").fill("@bob")
    alice.get_by_role("button", name="Assign", exact=True).click()
    expect(bob_timeline).to_contain_text("@bob is the incident lead")
    expect(alice.locator(".roles__item[data-role=lead]")).to_contain_text("@bob")
    alice.locator("#d-roles > summary").click()
    alice.locator("#f-role").select_option("messenger")
    alice.locator("#f-who").fill("@carol")
    alice.get_by_role("button", name="Assign", exact=True).click()
    expect(bob_timeline).to_contain_text("@carol is the messenger")
    bob.get_by_role("button", name="I'm on it").click()
    expect(alice.locator("#timeline-list")).to_contain_text("I'm on it")
    expect(alice.locator(".roles__item[data-role=lead]")).to_contain_text("on it since")

    # Updates: a message, a command, a plan, what we tried, the summary and a status change.
    composer = alice.locator("#composer-text")
    composer.fill("Rolling the checkout service back to 4.1 now")
    composer.press("Enter")
    expect(bob_timeline).to_contain_text("Rolling the checkout service back to 4.1 now")
    composer.fill("/incident plan watch the error rate for ten minutes after the rollback")
    composer.press("Enter")
    expect(alice.locator("[data-reply]")).to_contain_text("Update posted to INC-2")
    expect(bob_timeline).to_contain_text("I plan to watch the error rate for ten minutes")
    alice.locator("#d-tried > summary").click()
    alice.get_by_label("We tried…").fill("rolling back to 4.1")
    alice.get_by_label("…which resulted in").fill("checkout works again")
    alice.get_by_role("button", name="Post what we tried").click()
    expect(bob_timeline).to_contain_text("We tried rolling back to 4.1, which resulted in checkout works again")
    alice.locator("#d-summary > summary").click()
    alice.locator("#f-summary").fill("The 4.2 deploy broke checkout; rolled back to 4.1.")
    alice.get_by_role("button", name="Save summary").click()
    expect(bob.locator("#summary-text")).to_have_text("The 4.2 deploy broke checkout; rolled back to 4.1.")
    alice.locator("#d-status > summary").click()
    alice.locator("#f-status").select_option("monitoring")
    alice.locator("#f-status-text").fill("Error rate back to normal")
    alice.get_by_role("button", name="Change status").click()
    expect(bob_timeline).to_contain_text("Status: investigating → monitoring — Error rate back to normal")
    expect(bob.locator("#room-badges")).to_contain_text("monitoring")
    assert bob.evaluate("window.stillTheSamePage === true"), "bob's room reloaded instead of updating live"

    bob.keyboard.press("/")
    expect(bob.locator("#composer-text")).to_be_focused()
    bob.screenshot(path=str(RESULTS / "room-desktop.png"))
    phone = signed_in(chromium, base, "carol", PHONE)
    phone.goto("/incidents/INC-2")
    expect(phone.locator("#live-state")).to_have_text("live")
    phone.screenshot(path=str(RESULTS / "room-375.png"))
    no_sideways_scroll(phone)

    # Resolve, then the post-resolution checklist, then close.
    alice.locator("#d-resolve > summary").click()
    alice.get_by_label("How it was resolved").fill("Rolled back to 4.1")
    alice.get_by_role("button", name="Resolve", exact=True).click()
    expect(bob_timeline).to_contain_text("Resolved — Rolled back to 4.1")
    expect(alice.locator(".panel-block--close")).to_contain_text("Settle these required steps first")
    for key in ("comms_confirmed", "github_issues_updated", "postmortem_generated", "followups_created"):
        item = alice.locator(f"#c-{key}")
        item.get_by_role("button", name=re.compile("^Mark done")).click()
        expect(alice.locator(f"#c-{key}")).to_have_class(re.compile("check--done"))
    retro = alice.locator("#c-retrospective_scheduled")
    retro.locator("summary", has_text="Skip").click()
    retro.get_by_label("Why it does not apply").fill("A clear rollback; nothing to discuss")
    retro.get_by_role("button", name="Skip this step").click()
    expect(alice.locator("#c-retrospective_scheduled")).to_have_class(re.compile("check--skipped"))
    expect(bob_timeline).to_contain_text("Checklist: skipped “Schedule a retrospective")
    expect(alice.locator(".panel-block--close")).to_contain_text("All required steps are settled")
    alice.get_by_role("button", name="Close and archive the room").click()
    expect(alice.locator(".banner--archived")).to_contain_text("Closed and archived.")
    expect(alice.locator("#composer")).to_have_count(0)
    expect(bob.locator(".banner--archived")).to_contain_text("Closed and archived.")

    # The dashboard finds it by search.
    alice.goto("/")
    alice.get_by_label("Search incidents").fill("checkout")
    alice.get_by_label("Search incidents").press("Enter")
    row = alice.locator("table.incidents tbody tr", has_text="INC-2")
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("closed")
    expect(alice.locator("table.incidents tbody tr")).to_have_count(1)
    alice.goto("/")
    alice.screenshot(path=str(RESULTS / "dashboard-desktop.png"), full_page=True)
    phone.goto("/")
    phone.screenshot(path=str(RESULTS / "dashboard-375.png"), full_page=True)
    no_sideways_scroll(phone)

    for page in (alice, bob, phone):
        assert page.script_errors == [], page.script_errors
