"""Public text: plain, bounded, and free of markup before it is stored.

Everything on a status page is also escaped when it is rendered; refusing tags at the door means a
pasted ``<script>`` is a clear error the writer can fix, not a surprise on the public page.
"""

from __future__ import annotations

import re

from warroom.core.errors import ValidationFailed

# Something a browser would read as a tag, a comment or a doctype.
TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!?][^<>]*>")
# Characters XML 1.0 cannot carry (feeds would be invalid); tab and newline stay.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

MAX_NAME = 100
MAX_TITLE = 200
MAX_DESCRIPTION = 500
MAX_BODY = 5000


def _refuse_markup(text: str, field: str) -> None:
    tag = TAG_RE.search(text)
    if tag is not None:
        shown = tag.group(0)[:40]
        raise ValidationFailed(
            f"Public text is plain text: “{shown}” looks like HTML. Remove the tag (write it without < and >).",
            field=field)


def line(value: str, field: str, what: str, limit: int, *, required: bool = True) -> str:
    """One line (names, titles): whitespace collapsed, not empty unless allowed, at most ``limit`` characters."""
    text = " ".join(CONTROL_RE.sub(" ", value).split())
    if required and not text:
        raise ValidationFailed(f"The {what} cannot be empty.", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"Keep the {what} under {limit} characters (it has {len(text)}).", field=field)
    _refuse_markup(text, field)
    return text


def paragraphs(value: str, field: str, what: str, limit: int = MAX_BODY, *, required: bool = True) -> str:
    """Several lines (update bodies, descriptions): line breaks kept, trailing space and control characters gone."""
    text = CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(part.rstrip() for part in text.strip().split("\n"))
    if required and not text:
        raise ValidationFailed(f"The {what} cannot be empty.", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"Keep the {what} under {limit} characters (it has {len(text)}).", field=field)
    _refuse_markup(text, field)
    return text
