"""Calendar exports with a window past what a calendar holds: a 422 naming the parameter, never a crash."""

from __future__ import annotations

import pytest

from ...api.conftest import assert_problem


@pytest.mark.parametrize(("path", "contains", "field"), [
    ("/users/bob/on-call.ics?days=2147483646", "1 to 366 days", "days"),
    ("/users/bob/on-call.ics?days=0", "1 to 366 days", "days"),
    ("/schedules/eng-primary/calendar.ics?days=2147483646", "1 to 366 days", "days"),
    ("/users/bob/on-call.ics?from=9999-12-31T00:00:00&days=30", "before the year 9999", "from"),
    ("/schedules/eng-primary/calendar.ics?from=9999-12-31T00:00:00&days=30", "before the year 9999", "from"),
])
def test_a_window_past_the_calendar_is_a_422(org, on_call, path, contains, field):
    assert_problem(org.as_vic.get(path), 422, contains=contains, field=field)
