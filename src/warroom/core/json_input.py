"""How Warroom reads JSON it is sent: one policy for every route, the ingest endpoints included.

Strict RFC 8259 JSON in UTF-8: no NaN or Infinity, no lone UTF-16 surrogate (``"\\ud800"`` cannot be stored
or sent on as text), at most ``MAX_DEPTH`` levels of arrays and objects. Anything else is ``InvalidJson``,
whose message says what is wrong and where, e.g. ``lone surrogate \\ud800 at line 1 column 11``. It is a
``json.JSONDecodeError``, so every caller that already refuses bad JSON (as a ``ValueError``) refuses these too,
and nothing else (``RecursionError``, ``UnicodeDecodeError``) ever escapes.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
# A \uXXXX escape of a UTF-16 surrogate, with the escaped backslashes before it (an even run is literal text).
_SURROGATE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
_LOW = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


class InvalidJson(json.JSONDecodeError):
    """Not JSON Warroom accepts; ``msg`` is one sentence naming the problem and its place."""

    def __init__(self, problem: str, doc: str, pos: int) -> None:
        line = doc.count("\n", 0, pos) + 1
        column = pos - doc.rfind("\n", 0, pos)
        super().__init__(f"{problem} at line {line} column {column}", doc, pos)

    def __str__(self) -> str:
        return self.msg


def loads(raw: bytes | str) -> Any:
    """The JSON value in ``raw``, or ``InvalidJson``."""
    text = _text(raw)
    try:
        value = _DECODER.decode(text)
    except InvalidJson:
        raise
    except json.JSONDecodeError as error:
        raise InvalidJson(error.msg, text, error.pos) from None
    except RecursionError:
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels", text, _deepest(text)) from None
    except _Constant as error:
        raise InvalidJson(f"{error.name} is not a JSON number", text, max(text.find(error.name), 0)) from None
    except ValueError as error:  # an integer of more than 4300 digits
        raise InvalidJson(str(error).split(":")[0].split(";")[0], text, 0) from None
    if _may_nest_past_limit(text) and _depth(value) > MAX_DEPTH:
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels", text, _deepest(text))
    _refuse_lone_surrogates(text)
    return value


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        shown = raw[: error.start].decode("utf-8", "replace")
        raise InvalidJson(f"not UTF-8 (byte 0x{raw[error.start]:02x})", shown, len(shown)) from None


class _Constant(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _may_nest_past_limit(text: str) -> bool:
    """Cheap first look: fewer brackets than the limit cannot nest past it."""
    return text.count("[") + text.count("{") > MAX_DEPTH


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (walked without recursion, containers only)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            return deepest
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return deepest


def _deepest(text: str) -> int:
    """Where the nesting first goes past the limit (brackets inside strings are skipped)."""
    level, in_string, escaped = 0, False, False
    for pos, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            level += 1
            if level > MAX_DEPTH:
                return pos
        elif char in "]}":
            level -= 1
    return 0


def _refuse_lone_surrogates(text: str) -> None:
    """Half of a UTF-16 pair, written as an escape, cannot become text: refuse it where it is."""
    if "\\u" not in text:
        return
    paired_low = -1
    for match in _SURROGATE.finditer(text):
        if len(match.group(1)) % 2 == 0:  # "\\\\ud800": an escaped backslash, then plain letters
            continue
        start = match.start(2) - 2
        if start == paired_low:
            continue
        code = int(match.group(2), 16)
        if code < 0xDC00 and _LOW.match(text, match.end()):
            paired_low = match.end()
            continue
        raise InvalidJson(f"lone surrogate \\u{match.group(2).lower()}", text, start)


# One decoder for every body: ``json.loads`` with an option builds a new decoder per call. Decoding keeps no state
# between calls, so threads share it (as they share the one ``json.loads`` uses without options).
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
