"""Report test helpers: the anonymous public form, signed-in teammates, a real SMTP inbox, what is stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.core.clock import FakeClock
from warroom.reports.models import Report
from warroom.runtime import Runtime

from ..api.conftest import stored
from ..support import inbox_fixture
from ..web.conftest import People, WebUser, browser, people  # noqa: F401  (fixtures, registered by importing them)

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
FORM = {"name": "Jane Customer", "email": "jane@customer.example", "affected_service": "export",
        "description": "CSV exports are stuck at 'preparing' since 09:00.\nTried twice."}


@dataclass
class PublicForm:
    """A stranger's browser on /report: opens the form, waits as a person would (on the fake clock), sends it."""

    client: TestClient
    clock: FakeClock

    def open(self) -> str:
        page = self.client.get("/report", headers={"accept": "text/html"})
        assert page.status_code == 200, page.text
        match = TOKEN_RE.search(page.text)
        assert match, page.text
        return match.group(1)

    def send(self, values: dict[str, str] | None = None, *, token: str | None = None, wait: float = 5,
             **extra: str) -> httpx.Response:
        form = dict(FORM if values is None else values)
        form.update(extra)
        form.setdefault("form_token", token if token is not None else self.open())
        form.setdefault("website", "")
        self.clock.advance(timedelta(seconds=wait))
        return self.client.post("/report", data=form, headers={"accept": "text/html"})


@pytest.fixture
def public(runtime: Runtime, clock: FakeClock) -> Iterator[PublicForm]:
    with TestClient(create_app(runtime, run_engine=False), follow_redirects=False) as client:
        yield PublicForm(client, clock)


inbox = inbox_fixture()  # a real SMTP server the runtime's mail goes to


def all_reports(runtime: Runtime) -> list[Report]:
    with runtime.database.reading() as db:
        return list(db.scalars(sa.select(Report).order_by(Report.id)))


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    return stored(runtime)
