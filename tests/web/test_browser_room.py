"""The room's page script in headless Chromium: paging back, pinning, and errors shown in place."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from warroom.accounts import service as accounts
from warroom.timeline.models import EntryKind, TimelineEntry

from .conftest import PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser


def test_load_earlier_pin_and_refusals_without_leaving_the_page(live_server, chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    runtime = live_server.runtime
    with runtime.database.writing() as db:  # the demo's INC-1 gets a long history
        bob = accounts.find_person(db=db, who="bob")
        start = runtime.clock.now() - timedelta(days=1)
        db.execute(sa.insert(TimelineEntry), [
            {"incident_id": 1, "kind": EntryKind.message, "actor_id": bob.id, "body": f"Older note {n}",
             "data": {}, "pinned": False, "created_at": start + timedelta(seconds=n)} for n in range(450)])
        total = int(db.scalar(sa.select(sa.func.count()).where(TimelineEntry.incident_id == 1)) or 0)

    page = signed_in(chromium, live_server.url, "alice")
    page.goto("/incidents/INC-1")
    page.evaluate("window.stillTheSamePage = true")
    entries = page.locator("#timeline-list > .entry")
    expect(entries).to_have_count(200)
    for expected in (400, total):
        page.get_by_role("link", name="Load earlier entries").click()
        expect(entries).to_have_count(expected)
    expect(page.get_by_role("link", name="Load earlier entries")).to_have_count(0)
    ids = page.eval_on_selector_all("#timeline-list > .entry", "nodes => nodes.map(n => Number(n.dataset.id))")
    assert ids == sorted(ids) and len(set(ids)) == total

    first = page.locator("#e-1")
    first.get_by_role("button", name="Pin entry 1 as a key event").click()
    expect(page.locator("#e-1")).to_have_class(re.compile("is-pinned"))
    expect(page.locator("#timeline-list")).to_contain_text("Pinned as key event")

    composer = page.locator("#composer-text")
    composer.fill("/incident lead")
    composer.press("Enter")
    expect(page.locator("[data-reply] .error")).to_contain_text("Usage: /incident lead @user")
    expect(composer).to_have_value("/incident lead")  # kept, to fix and send again

    page.locator("#d-override > summary").click()
    page.locator("#f-reason").evaluate("field => field.removeAttribute('required')")  # past the browser's check
    page.get_by_role("button", name="Close with open steps").click()
    expect(page.locator("#d-override .error")).to_contain_text("Write why the incident closes")
    assert page.evaluate("window.stillTheSamePage === true")
    assert page.script_errors == []


PAGES = ["/", "/?q=search&active=no", "/incidents/new", "/incidents/INC-1", "/incidents/INC-1/playbooks",
         "/announcements", "/playbooks", "/playbooks/roll-back-a-bad-deploy", "/playbooks/new", "/settings/tokens",
         "/admin/users", "/admin/teams", "/admin/audit", "/admin/jobs"]


def test_every_page_fits_a_375px_phone_and_the_keyboard(live_server, chromium):
    phone = signed_in(chromium, live_server.url, "alice", PHONE)
    for path in PAGES:
        phone.goto(path)
        no_sideways_scroll(phone)
    # The skip link is the first stop for the keyboard and lands on the content.
    phone.goto("/")
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Skip to content"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    phone.keyboard.press("/")
    assert phone.evaluate("document.activeElement.id") == "q"  # "/" is search on the dashboard
    assert phone.script_errors == []
