"""After the incident in real headless Chromium: from the resolved room to a published postmortem and a follow-up.

bob opens the demo's resolved incident, follows the postmortem link, drafts it, edits the Markdown, previews it,
saves, comments, sends it for review and publishes it; the export links download what was written; then he adds a
follow-up linked to an existing GitHub issue (a local fake GitHub) from the postmortem page and sees it attached.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from warroom.config import Settings

from ..followups.conftest import REPO, TOKEN, FakeGithub, github  # noqa: F401  (fixture)
from ..web.conftest import PHONE, chromium, live_server, no_sideways_scroll, signed_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[2] / "test-results"
REF = "INC-1"  # the demo's resolved example incident
EDITED = "# Search outage\n\nNew users got no results.\n\n- Rolled back the indexer to 4.1\n- Added a check\n"


@pytest.fixture
def settings(settings: Settings, github: FakeGithub) -> Settings:  # noqa: F811
    return settings.model_copy(update={"github_token": TOKEN, "github_api_url": github.url,
                                       "github_repository": REPO})


def reload_until(page: Any, locator: Any, tries: int = 60) -> None:
    """The page is server-rendered: reload (a bounded number of times) until the engine's work shows."""
    for _ in range(tries):
        if locator.count():
            return
        page.wait_for_timeout(250)
        page.reload()
    raise AssertionError(f"{page.url} never showed {locator}")


def test_draft_edit_preview_review_publish_export_and_add_a_followup(live_server, chromium,  # noqa: F811
                                                                     github):  # noqa: F811
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    base = live_server.url
    github.add_issue(REPO, 7, "Check new users' documents")
    bob = signed_in(chromium, base, "bob")

    bob.goto(f"/incidents/{REF}")
    bob.get_by_role("link", name=re.compile("^Postmortem · generate")).click()
    expect(bob).to_have_url(f"{base}/incidents/{REF}/postmortem")
    # The demo's postmortem was drafted and sent for review: carol's comment is there; bob takes it back.
    expect(bob.locator("#postmortem-state")).to_have_text("in review")
    expect(bob.locator("#postmortem-comments .comment-body")).to_contain_text("support macro")
    expect(bob.locator("#postmortem-preview")).to_contain_text("Add an indexer check for new users")
    bob.get_by_role("button", name="Back to draft").click()
    expect(bob.locator("#postmortem-state")).to_have_text("draft")

    # Edit the Markdown, preview it (nothing saved), then save it.
    bob.get_by_label("Body").fill(EDITED)
    bob.get_by_role("button", name="Preview").click()
    preview = bob.locator("#postmortem-preview")
    expect(preview.locator("h2").first).to_have_text("Preview (not saved)")
    expect(preview.locator(".prose h1")).to_have_text("Search outage")
    expect(preview.locator(".prose li").first).to_have_text("Rolled back the indexer to 4.1")
    expect(bob.get_by_label("Body")).to_have_value(EDITED)
    bob.get_by_role("button", name="Save").click()
    expect(bob.locator(".flash")).to_contain_text("Postmortem saved")
    expect(preview.locator(".prose h1")).to_have_text("Search outage")
    expect(preview.locator(".prose li")).to_have_count(2)

    # A comment, then review and publish.
    bob.get_by_label("Add a comment").fill("Mention the <support> tickets")
    bob.get_by_role("button", name="Comment", exact=True).click()
    expect(bob.locator("#postmortem-comments .comment-body").last).to_have_text("Mention the <support> tickets")
    bob.get_by_role("button", name="Send for review").click()
    expect(bob.locator("#postmortem-state")).to_have_text("in review")
    bob.get_by_role("button", name="Publish").click()
    expect(bob.locator("#postmortem-state")).to_have_text("published")
    expect(bob.locator(".flash")).to_contain_text("Postmortem published to")
    expect(bob.locator("#postmortem-editor")).to_have_count(0)

    # The export links download what was written.
    exports = bob.locator("#exports")
    markdown = bob.request.get(base + exports.get_by_role("link", name="Markdown").get_attribute("href"))
    assert markdown.status == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert "# Search outage" in markdown.text() and "- Rolled back the indexer to 4.1" in markdown.text()
    html = bob.request.get(base + exports.get_by_role("link", name="HTML").get_attribute("href"))
    assert html.status == 200 and "<h1>Search outage</h1>" in html.text()
    pdf = bob.request.get(base + exports.get_by_role("link", name="PDF").get_attribute("href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # A follow-up from the postmortem page: first refused (unknown owner, typed values kept), then added.
    form = bob.locator("#pm-add-followup")
    form.get_by_label("What needs doing").fill("Page when the indexer skips documents")
    form.get_by_label("Owner", exact=True).fill("@nobody")
    form.get_by_label("Due").fill("2030-01-31")
    form.get_by_label("Priority").select_option("high")
    form.get_by_role("radio", name="Link an existing issue").check()
    form.get_by_label("Issue to link (owner/name#123)").fill(f"{REPO}#7")
    form.get_by_role("button", name="Add follow-up").click()
    form = bob.locator("#pm-add-followup")
    expect(form.get_by_role("alert")).to_contain_text("No person '@nobody'")
    expect(form.get_by_label("What needs doing")).to_have_value("Page when the indexer skips documents")
    expect(form.get_by_label("Issue to link (owner/name#123)")).to_have_value(f"{REPO}#7")
    expect(form.get_by_role("radio", name="Link an existing issue")).to_be_checked()
    form.get_by_label("Owner", exact=True).fill("@carol")
    form.get_by_role("button", name="Add follow-up").click()
    expect(bob).to_have_url(f"{base}/incidents/{REF}/postmortem")
    expect(bob.locator(".flash")).to_contain_text(f"Added follow-up #2; attaching {REPO}#7")
    added = bob.locator("#pm-followup-list li", has_text="Page when the indexer skips documents")
    expect(added).to_contain_text("@carol")
    expect(added).to_contain_text("due 2030-01-31")
    reload_until(bob, added.get_by_role("link", name=f"{REPO}#7"))
    expect(added.get_by_role("link", name=f"{REPO}#7")).to_have_attribute(
        "href", f"https://github.example/{REPO}/issues/7")
    expect(bob.locator("#postmortem-preview .prose")).not_to_contain_text("Page when the indexer")

    RESULTS.mkdir(exist_ok=True)
    bob.screenshot(path=str(RESULTS / "postmortem-desktop.png"), full_page=True)
    phone = signed_in(chromium, base, "carol", PHONE)
    phone.goto(f"/incidents/{REF}/postmortem")
    expect(phone.locator("#pm-followup-list li")).to_have_count(2)
    phone.screenshot(path=str(RESULTS / "postmortem-375.png"), full_page=True)
    no_sideways_scroll(phone)
    for page in (bob, phone):
        assert page.script_errors == [], page.script_errors
