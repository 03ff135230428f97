"""The fake GitHub of the follow-ups' tests (documented REST shapes), and the API test team."""

from __future__ import annotations

from ..api.conftest import team  # noqa: F401  (fixtures)
from ..followups.conftest import github, settings  # noqa: F401  (fixtures)
