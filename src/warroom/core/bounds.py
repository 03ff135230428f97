"""The integers Warroom takes from outside, bounded at the type so that no input overflows a column.

Ids are INTEGER columns: 32-bit on PostgreSQL, and SQLite cannot even bind a number past 2**63. Every integer
a request carries (a path id, a page offset, a "before" cursor, a number in a JSON body or a form) has one of
these types, so a number out of range is refused as invalid input naming the field, never a server error.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

MAX_INT = 2**31 - 1  # the largest id either store holds in an INTEGER column; no count Warroom takes comes near

RowId = Annotated[int, Field(ge=1, le=MAX_INT)]  # a row's id
Count = Annotated[int, Field(ge=0, le=MAX_INT)]  # an offset, a cursor id, a number of minutes or hours
Int = Annotated[int, Field(ge=-MAX_INT - 1, le=MAX_INT)]  # any other integer; its own rules say the rest
# What SQLite (and a PostgreSQL BIGINT) can bind at all. A reference that may be an id or a name takes this
# wider bound: a number past MAX_INT is no id, and the domain answers that it names nothing (a 404 or 422 saying
# "no schedule '99999999999'"), while a number past this one could not even be looked up.
MAX_STORED = 2**63 - 1
Ref = Annotated[int, Field(ge=-MAX_STORED - 1, le=MAX_STORED)]
StrictInt = Annotated[Int, Strict()]  # the same, where a string of digits is not taken for a number


def is_count(text: str) -> bool:
    """``text`` is a Count written out: ASCII digits only ("²" is a digit to ``str.isdigit``, not to ``int``),
    at most ``MAX_INT``. Every place that reads a number from a path, a query, a form or a command asks this."""
    return text.isascii() and text.isdigit() and len(text) <= len(str(MAX_INT)) and int(text) <= MAX_INT
