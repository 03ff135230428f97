"""Time arithmetic in SQL that reads the same on SQLite and PostgreSQL, so figures are summed by the database.

SQLite stores UTC datetimes as text (``julianday`` reads it, to the millisecond); PostgreSQL has timestamptz.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

Moment = Any  # a datetime column or expression
WEEK_SECONDS = 7 * 24 * 3600
DAY_SECONDS = 24 * 3600.0
UNIX_JULIAN_DAY = 2440587.5  # the julian day of 1970-01-01 00:00 UTC


class SqlTime:
    def __init__(self, db: Session) -> None:
        self.sqlite = db.get_bind().dialect.name == "sqlite"

    def julian(self, moment: datetime) -> float:
        return moment.timestamp() / DAY_SECONDS + UNIX_JULIAN_DAY

    def week_index(self, column: Moment, start: datetime) -> sa.ColumnElement[int]:
        """0 for the week starting at ``start`` (a midnight), 1 for the next, … (``column`` is not before it).

        SQLite counts from the stored text's date alone ("YYYY-MM-DD …"), since julianday rounds to the
        millisecond and would move 23:59:59.9999 on a Sunday into the next week.
        """
        if self.sqlite:
            days = sa.func.julianday(sa.func.substr(column, 1, 10)) - sa.literal(self.julian(start), sa.Float)
            return sa.cast(days / 7.0, sa.Integer)
        seconds = sa.extract("epoch", column) - sa.literal(start.timestamp(), sa.Float)
        return sa.cast(sa.func.floor(seconds / float(WEEK_SECONDS)), sa.Integer)

    def seconds_between(self, later: Moment, earlier: Moment) -> sa.ColumnElement[float]:
        if self.sqlite:
            return (sa.func.julianday(later) - sa.func.julianday(earlier)) * DAY_SECONDS
        return sa.cast(sa.extract("epoch", later - earlier), sa.Float)

    def seconds_until(self, moment: datetime, earlier: Moment) -> sa.ColumnElement[float]:
        """``moment`` minus ``earlier`` in seconds, ``moment`` a Python datetime."""
        if self.sqlite:
            return (sa.literal(self.julian(moment), sa.Float) - sa.func.julianday(earlier)) * DAY_SECONDS
        return sa.literal(moment.timestamp(), sa.Float) - sa.extract("epoch", earlier)
