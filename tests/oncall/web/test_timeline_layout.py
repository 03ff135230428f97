"""The timeline's layout, pure: shifts to cells spanning slots, and the local days of the header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from warroom.core.errors import ValidationFailed
from warroom.web.oncall_view import SLOTS, Block, Cover, day_columns, parse_moment, row_blocks, window

START = datetime(2026, 3, 23, tzinfo=UTC)
END = START + timedelta(days=14)  # 336 hours: one slot an hour


def shift(handle: str, hours_from: float, hours_to: float, user_id: int = 1) -> Cover:
    return Cover(user_id, handle, START + timedelta(hours=hours_from), START + timedelta(hours=hours_to))


def test_shifts_become_cells_and_gaps_fill_the_row():
    cells = row_blocks([shift("bob", 24, 48, 2), shift("alice", 0, 9)], START, END)
    assert [(c.span, c.handle) for c in cells] == [(9, "alice"), (15, ""), (24, "bob"), (288, "")]
    assert sum(c.span for c in cells) == SLOTS


def test_shifts_outside_the_window_are_clipped_and_slivers_are_left_out():
    cells = row_blocks([shift("early", -48, 2), shift("sliver", 5, 5.2), shift("late", 330, 400)], START, END)
    assert [(c.span, c.handle) for c in cells] == [(2, "early"), (328, ""), (6, "late")]


def test_overlapping_covers_draw_from_where_the_earlier_one_ends():
    cells = row_blocks([shift("a", 10, 30), shift("b", 20, 40)], START, END)
    assert [(c.span, c.handle) for c in cells] == [(10, ""), (20, "a"), (10, "b"), (296, "")]
    assert row_blocks([], START, END) == [Block(SLOTS)]


def test_narrow_cells_leave_the_name_to_their_title_and_the_legend():
    assert Block(40, "alice", 1).label == "@alice"
    assert Block(8, "alice", 1).label == ""
    assert Block(8).label == ""


def test_the_header_follows_local_days_across_a_dst_change():
    # Berlin springs forward on Sunday 29 March 2026: that local day has 23 hours.
    start, end = window(zone="Europe/Berlin", now=datetime(2026, 3, 25, 12, tzinfo=UTC), first_day=None, days=7)
    assert start == datetime(2026, 3, 24, 23, tzinfo=UTC)  # local midnight of Wednesday 25 March
    days = day_columns(start, end, "Europe/Berlin")
    assert [d.label for d in days] == ["Wed 25", "Thu 26", "Fri 27", "Sat 28", "Sun 29", "Mon 30", "Tue 31"]
    assert sum(d.span for d in days) == SLOTS
    widths = [d.span for d in days]
    assert widths[4] < widths[3]  # the short Sunday is drawn shorter
    assert [d.weekend for d in days] == [False, False, False, True, True, False, False]


def test_times_typed_in_forms_are_read_in_the_given_zone():
    assert parse_moment("2026-07-01T09:00", "Europe/Berlin", "at") == datetime(2026, 7, 1, 7, tzinfo=UTC)
    assert parse_moment("2026-07-01T09:00Z", "Europe/Berlin", "at") == datetime(2026, 7, 1, 9, tzinfo=UTC)
    with pytest.raises(ValidationFailed, match="is not a time"):
        parse_moment("July", "UTC", "at")
    with pytest.raises(ValidationFailed, match="Show 7, 14, 28 days"):
        window(zone="UTC", now=START, first_day=None, days=3)
