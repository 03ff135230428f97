"""Web UI fixtures: signed-in browsers (TestClient with cookies) for the demo's kinds of people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.accounts.models import User
from warroom.api.app import create_app
from warroom.audit.models import AuditEntry
from warroom.runtime import Runtime
from warroom.timeline.models import TimelineEntry

from .. import support
from ..factories import PASSWORD, Factory
from ..support import LiveServer

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class WebUser:
    """One person's browser: their cookies, their CSRF token, and form posts that carry it."""

    client: TestClient
    csrf: str
    user: User

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, headers={"accept": "text/html"}, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True,
             fetch: bool = False) -> httpx.Response:
        """A form post as the browser sends it; ``fetch`` is the page script's JSON variant."""
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        accept = "application/json" if fetch else "text/html,application/xhtml+xml"
        return self.client.post(path, data=form, headers={"accept": accept})


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> httpx.Response:
    client.get("/login")
    token = client.cookies.get("warroom_login")
    return client.post("/login", data={"login": login, "password": password, "login_token": token or "",
                                       "next": "/"})


@pytest.fixture
def browser(runtime: Runtime) -> Iterator[Any]:
    """``browser(user)`` opens a fresh signed-in browser for that person."""
    with ExitStack() as stack:

        def open_for(user: User) -> WebUser:
            client = stack.enter_context(TestClient(create_app(runtime, run_engine=False), follow_redirects=False))
            response = sign_in(client, user.handle)
            assert response.status_code == 303, response.text
            page = client.get("/", headers={"accept": "text/html"})
            match = CSRF_META.search(page.text)
            assert match, page.text[:500]
            return WebUser(client, match.group(1), user)

        yield open_for


@dataclass
class People:
    alice: User  # admin
    bob: User  # responder, engineering
    carol: User  # responder, customer support
    vic: User  # viewer


@pytest.fixture
def people(factory: Factory) -> People:
    return People(**support.people(factory, support.HANDBOOK))


@dataclass(frozen=True)
class Counts:
    timeline: int
    audit: int


def counts(runtime: Runtime) -> Counts:
    """How much has been written: an error path must leave these unchanged."""
    with runtime.database.reading() as db:
        return Counts(
            timeline=int(db.scalar(sa.select(sa.func.count()).select_from(TimelineEntry)) or 0),
            audit=int(db.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0),
        )


# A real server, for the browser test -------------------------------------------------------------------


@pytest.fixture
def live_server(settings: Any) -> Iterator[LiveServer]:
    """Uvicorn on 127.0.0.1 (a free port) in a thread: the demo org, the real clock, the engine running."""
    from warroom.core.clock import SystemClock
    from warroom.db.engine import Database
    from warroom.runtime import seed_if_empty

    demo = settings.model_copy(update={"seed_demo": True, "run_engine": True, "engine_tick_seconds": 0.5})
    runtime = Runtime(demo, Database(demo.resolved_database_url()), SystemClock())
    assert seed_if_empty(runtime)
    try:
        with support.live_server(runtime, engine=True, lifespan="on", timeout_graceful_shutdown=2) as live:
            yield live
    finally:
        runtime.database.dispose()


# Headless Chromium (Debian's package) through Playwright ------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def chromium() -> Iterator[Any]:
    """The browser, or a failure that says how to get it: a browser test never skips silently."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: run the README's test command, which "
                    "installs it (apt-get install chromium), then run the tests again.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run the README's test command, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in(chromium: Any, base: str, handle: str, viewport: dict[str, int] = DESKTOP) -> Any:
    """A new browser context (its own cookies) signed in as a demo person; script errors are collected."""
    from playwright.sync_api import expect

    from warroom.demo import DEMO_PASSWORD

    context = chromium.new_context(viewport=viewport, base_url=base)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors
    page.goto("/login")
    page.get_by_label("Handle or email").fill(handle)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/")
    return page


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways: {width}px"
