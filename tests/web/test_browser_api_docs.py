"""/api/docs in headless Chromium: Swagger UI renders Warroom's operations from installed files, with the
pages' Content-Security-Policy in force, and the browser asks no other host for anything."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_the_api_reference_renders_operations_offline_under_the_csp(live_server, chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    problems: list[str] = []
    hosts: set[str] = set()
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    answer = page.goto("/api/docs")
    assert answer is not None and answer.status == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]

    expect(page.locator(".opblock").first).to_be_visible()
    operations = page.locator(".opblock-summary-path")
    assert operations.count() > 50
    expect(page.get_by_text("List and search incidents").first).to_be_visible()
    page.locator(".opblock-summary", has_text="List and search incidents").first.click()
    expect(page.get_by_text("Search titles, summaries and room messages.").first).to_be_visible()

    assert hosts == {urlsplit(live_server.url).netloc}  # nothing from a CDN or any other host
    assert problems == []  # no script error, no CSP refusal
    context.close()
