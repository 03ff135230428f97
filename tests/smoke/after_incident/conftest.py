"""The fixtures of the pieces this journey joins: fake GitHub, a real SMTP inbox, the API test team."""

from __future__ import annotations

from ...followups.conftest import github, settings  # noqa: F401  (fixtures)
from ...retrospectives.conftest import inbox, team  # noqa: F401  (fixtures)
