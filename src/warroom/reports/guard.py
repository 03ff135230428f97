"""Keeping the public form for people: a rate limit per client address and a spam guard needing no outside service.

The spam guard is a hidden field people leave empty (a honeypot) and a signed form token that says when the
form was handed out: a post faster than a person can type, older than the token's life, altered, or sent twice
is refused with a message saying what to do. Given the database (``shared``, as every web process is), the
counts and used tokens live there, so N web processes are together as strict as one; without it, in the process.
"""

from __future__ import annotations

import math
import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hmac import compare_digest

from warroom.core.bounds import is_count
from warroom.core.errors import ValidationFailed
from warroom.core.security import sign
from warroom.throttles.store import SharedThrottles

MIN_FILL = timedelta(seconds=3)
MAX_AGE = timedelta(hours=2)
HONEYPOT = "website"  # the hidden field's name: a word form-filling robots like to fill
RATE_LIMIT = 5  # reports per client address …
RATE_WINDOW = timedelta(minutes=10)  # … in this long
MAX_TRACKED = 10_000  # addresses and tokens remembered at most (the oldest are forgotten first)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def issue_form_token(secret: str, now: datetime) -> str:
    issued = int(now.timestamp())
    nonce = secrets.token_urlsafe(12)
    return f"{issued}.{nonce}.{sign(secret, f'report-form:{issued}:{nonce}')}"


def read_form_token(secret: str, token: str, now: datetime) -> str:
    """The token's nonce, if it is ours, unaltered, and neither too fresh nor too old."""
    issued_text, _, rest = token.strip().partition(".")
    nonce, _, signature = rest.partition(".")
    expected = sign(secret, f"report-form:{issued_text}:{nonce}")
    if not (is_count(issued_text) and nonce and compare_digest(signature.encode(), expected.encode())):
        raise ValidationFailed("The form's token is missing or was altered; reload the page and send the report "
                               "again.", field="form_token")
    age = now - datetime.fromtimestamp(int(issued_text), UTC)
    if age < MIN_FILL:
        raise ValidationFailed("That was sent faster than a person can fill in the form; wait a few seconds and "
                               "send it again.", field="form_token")
    if age > MAX_AGE:
        hours = int(MAX_AGE.total_seconds() // 3600)
        raise ValidationFailed(f"This form was opened more than {hours} hours ago and has expired; check what you "
                               "typed and send it again.", field="form_token")
    return nonce


def check_honeypot(value: str) -> None:
    if value.strip():
        raise ValidationFailed("The form could not be sent: the field marked 'leave this empty' was filled in. "
                               "Empty it and send again.", field=HONEYPOT)


@dataclass
class RateLimiter:
    """At most ``limit`` hits per key in a sliding ``window``."""

    limit: int = RATE_LIMIT
    window: timedelta = RATE_WINDOW
    max_keys: int = MAX_TRACKED
    shared: SharedThrottles | None = None  # where the hits are counted; None: in this process
    name: str = "report"  # what is limited (keys of different limiters never meet in the shared store)
    _hits: OrderedDict[str, deque[datetime]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, key: str, now: datetime) -> None:
        """Count one hit, or raise RateLimited with the seconds until the next is allowed."""
        if self.shared is not None:
            wait = self.shared.hit(f"{self.name}:{key}", now, limit=self.limit, window=self.window)
            if wait:
                raise RateLimited(wait)
            return
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits  # most recently seen last
            if len(hits) >= self.limit:
                raise RateLimited(max(1, math.ceil((hits[0] + self.window - now).total_seconds())))
            hits.append(now)
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)


@dataclass
class UsedTokens:
    """Form tokens already sent, until they would have expired anyway: a token works once."""

    max_keys: int = MAX_TRACKED
    shared: SharedThrottles | None = None  # where used tokens are kept; None: in this process
    _seen: OrderedDict[str, datetime] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def use(self, nonce: str, now: datetime) -> None:
        if self.shared is not None:
            if not self.shared.use_once(nonce, now, now + MAX_AGE):
                raise _already_sent()
            return
        with self._lock:
            while self._seen and next(iter(self._seen.values())) <= now:
                self._seen.popitem(last=False)
            if nonce in self._seen:
                raise _already_sent()
            self._seen[nonce] = now + MAX_AGE
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)

    def forget(self, nonce: str) -> None:
        """The report was not kept after all (bad input, the store down): the same form may be sent again."""
        if self.shared is not None:
            self.shared.release(nonce)
            return
        with self._lock:
            self._seen.pop(nonce, None)


def _already_sent() -> ValidationFailed:
    return ValidationFailed("This form was already sent. To report something else, open the form again.",
                            field="form_token")


@dataclass
class FormGuard:
    """What guards the public form: its rate limiter and used tokens."""

    limiter: RateLimiter = field(default_factory=RateLimiter)
    used: UsedTokens = field(default_factory=UsedTokens)

    @classmethod
    def shared_by(cls, throttles: SharedThrottles) -> FormGuard:
        """Kept in the database: every web process on it counts the same reports and tokens."""
        return cls(RateLimiter(shared=throttles), UsedTokens(shared=throttles))
