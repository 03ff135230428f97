"""The follow-ups page says why it offers no GitHub choice, as the related-issues page does."""

from __future__ import annotations

import re
from typing import Any

import pytest

from warroom.config import Settings

from ..factories import Factory
from ..web.conftest import People, browser, people  # noqa: F401  (fixtures)


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The follow-ups tests' GitHub settings, with the ones named by the test's parameter left unset."""
    unset: tuple[str, ...] = getattr(request, "param", ())
    return settings.model_copy(update={f"github_{what}": "" for what in unset})


def explanation(html: str) -> str | None:
    found = re.search(r'<p class="error" id="github-missing">(.*?)</p>', html, re.S)
    return found.group(1) if found else None


@pytest.mark.parametrize(("settings", "says"), [
    (("token",), "No GitHub token is configured (WARROOM_GITHUB_TOKEN)"),
    (("repository",), "No GitHub repository is configured (WARROOM_GITHUB_REPOSITORY)"),
    (("token", "repository"), "(WARROOM_GITHUB_TOKEN, WARROOM_GITHUB_REPOSITORY)"),
], indirect=["settings"])
def test_the_page_says_which_setting_the_github_choice_waits_for(browser: Any, people: People,  # noqa: F811
                                                                 factory: Factory, says: str) -> None:
    incident = factory.incident(people.bob)
    page = browser(people.bob).get(f"/incidents/{incident.ref}/followups").text
    shown = explanation(page)
    assert shown is not None and says in shown, shown
    assert 'value="link"' not in page and "Create a GitHub issue" not in page
    assert "Add follow-up" in page  # follow-ups themselves still work


def test_no_explanation_when_github_is_configured(browser: Any, people: People,  # noqa: F811
                                                  factory: Factory) -> None:
    incident = factory.incident(people.bob)
    page = browser(people.bob).get(f"/incidents/{incident.ref}/followups").text
    assert explanation(page) is None
    assert 'value="link"' in page
