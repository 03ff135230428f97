"""The messenger's flow in real headless Chromium, end to end.

carol (the messenger, customer support) drafts and publishes updates for a customer-impact incident
from its room; a signed-out browser subscribes, confirms from the mail a real local SMTP server
received, and reads the updates on the public page; the subscriber's mailbox gets each update; and
none of the room's internal text shows anywhere public. Screenshots go to test-results/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from warroom.accounts import service as accounts
from warroom.core.actor import Actor
from warroom.incidents import flows as incident_flows

from ..support import Inbox, inbox_fixture
from ..web.conftest import PHONE, LiveServer, chromium, live_server, no_sideways_scroll, signed_in

__all__ = ["chromium", "live_server"]

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
SECRET = "INTERNAL-ROOM-ONLY-7731"
LINK_RE = re.compile(r"http://127\.0\.0\.1:\d+/status/demo/subscription/confirm\?\S+")


# The SMTP server the live server's engine sends to (set before the server copies the settings).
mailbox = inbox_fixture(mail_from="Warroom demo status <status@demo.example>", point="settings", name="mailbox")


@pytest.fixture
def server(mailbox: Inbox, live_server: LiveServer) -> LiveServer:
    live_server.runtime.settings.base_url = live_server.url  # links in mails point at this server
    return live_server


def wait_for_mail(inbox: Inbox, count: int, what: str) -> None:
    """The engine sends within a tick or two; wait (bounded) for the mail to arrive."""
    for _ in range(300):
        if len(inbox.received) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {what} arrived: {[m.message['Subject'] for m in inbox.received]}")


def customer_impact_incident(server: LiveServer) -> str:
    """bob declares and leads; carol is the messenger; the room fills with internal talk."""
    runtime = server.runtime
    with runtime.database.writing() as db:
        bob, carol = (accounts.find_person(db=db, who=h) for h in ("bob", "carol"))
        as_bob = Actor(bob.id, bob.handle, bob.access_role, "test", runtime.clock)
        ref = incident_flows.declare_incident(
            db=db, actor=as_bob, title=f"Search cluster {SECRET} out of disk", severity="critical",
            description=f"Node es-3 {SECRET}", customer_impact=True).incident.ref
        incident_flows.assign_role(db=db, actor=as_bob, ref=ref, role="lead", who="@bob")
        incident_flows.assign_role(db=db, actor=as_bob, ref=ref, role="messenger", who=f"@{carol.handle}")
        incident_flows.post_message(db=db, actor=as_bob, ref=ref, text=f"Disk at 100% on es-3 {SECRET}")
        incident_flows.set_summary(db=db, actor=as_bob, ref=ref, summary=f"Out of disk {SECRET}")
        incident_flows.post_update(db=db, actor=as_bob, ref=ref, kind="plan", text=f"add a volume {SECRET}")
    return ref


def test_the_messenger_publishes_and_customers_read_it_and_get_it_by_mail(server, mailbox, chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    RESULTS.mkdir(exist_ok=True)
    base = server.url
    ref = customer_impact_incident(server)

    # A customer, signed out, subscribes to the demo page and confirms from the mail.
    customer = chromium.new_context(viewport=PHONE, base_url=base).new_page()
    customer.goto("/status/demo")
    expect(customer.get_by_role("heading", name="Warroom demo status")).to_be_visible()
    no_sideways_scroll(customer)
    customer.get_by_label("Email address").fill("customer@example.org")
    customer.get_by_role("button", name="Subscribe").click()
    expect(customer.locator(".sp-note")).to_contain_text("Check your inbox")
    wait_for_mail(mailbox, 1, "confirmation mail")
    [link] = LINK_RE.findall(mailbox.received[0].message.get_content())
    customer.goto(link)
    customer.get_by_role("button", name="Confirm the subscription").click()
    expect(customer.locator(".sp-note")).to_contain_text("You will receive Warroom demo status updates")

    # carol drafts from the room, edits, and publishes with Search in a major outage.
    carol = signed_in(chromium, base, "carol")
    carol.goto(f"/incidents/{ref}")
    carol.get_by_role("button", name="Draft a public update").click()
    expect(carol).to_have_url(re.compile(rf"/incidents/{ref}/public-updates"))
    draft = carol.locator("section[id^=edit-]").first
    expect(draft.get_by_label("Text customers read")).to_have_value(re.compile("We are investigating reports"))
    draft.get_by_label("Public title").fill("Search is unavailable")
    draft.get_by_label("Text customers read").fill("Searches fail for all customers. We are working on it.")
    draft.get_by_role("button", name="Save the draft").click()
    expect(carol.locator(".flash")).to_contain_text("Saved draft")
    draft = carol.locator("section[id^=edit-]").first
    draft.get_by_label(re.compile(r"^Search")).select_option("major_outage")
    draft.get_by_role("button", name="Publish update").click()
    expect(carol.locator(".flash")).to_contain_text("Published to Warroom demo; 1 subscriber notification(s) queued")
    carol.screenshot(path=str(RESULTS / "status-messenger.png"), full_page=True)

    customer.goto("/status/demo")
    customer.reload()  # within max-age the browser may show its copy; reloading revalidates (ETag)
    expect(customer.locator(".sp-banner")).to_have_text("Major outage")
    expect(customer.locator("#active-h")).to_be_visible()
    expect(customer.locator(".sp-incident").first).to_contain_text("Search is unavailable")
    expect(customer.locator(".sp-incident").first).to_contain_text("Searches fail for all customers.")
    no_sideways_scroll(customer)
    customer.screenshot(path=str(RESULTS / "status-page-phone.png"), full_page=True)
    wait_for_mail(mailbox, 2, "update mail")
    assert mailbox.received[1].message["Subject"] == "[Warroom demo] Search is unavailable — Investigating"
    assert "Searches fail for all customers." in mailbox.received[1].message.get_content()

    # The fix: carol drafts the resolved update and publishes Search as operational again.
    carol.goto(f"/incidents/{ref}/public-updates")
    carol.locator("#d-status").select_option("resolved")
    carol.get_by_role("button", name="Draft from the template").click()
    draft = carol.locator("section[id^=edit-]").first
    expect(draft.get_by_label(re.compile(r"^Search"))).to_have_value("operational")
    draft.get_by_role("button", name="Publish update").click()
    expect(carol.locator(".flash")).to_contain_text("Published to Warroom demo")

    customer.reload()
    expect(customer.locator(".sp-banner")).to_have_text("All systems operational")
    expect(customer.locator(".sp-section", has_text="Past incidents")).to_contain_text("Search is unavailable")
    wait_for_mail(mailbox, 3, "resolved mail")
    assert mailbox.received[2].message["Subject"] == "[Warroom demo] Search is unavailable — Resolved"
    desktop = chromium.new_context(base_url=base).new_page()
    desktop.goto("/status/demo")
    desktop.screenshot(path=str(RESULTS / "status-page.png"), full_page=True)

    # The room's internal text is nowhere public: page, history, JSON, feeds, mails.
    for path in ("/status", "/status/demo", "/status/demo/history", "/status/demo.json", "/status/demo/rss.xml",
                 "/status/demo/atom.xml"):
        response = customer.request.get(path)
        assert response.ok, path
        assert SECRET not in response.text() and ref not in response.text(), path
    assert SECRET not in customer.content()
    assert all(SECRET not in str(m.message) for m in mailbox.received)
    assert carol.script_errors == []
