"""Failed sign-ins slow down guessing: a login name or an address with too many recent failures must wait.

The counts live in the process (each web worker keeps its own), so with N workers an attacker gets at most N
times the limit; that is still a few dozen guesses an hour against a password, not thousands a second.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.core.errors import WarroomError

WINDOW = timedelta(minutes=15)
PER_LOGIN = 5
PER_ADDRESS = 20


class TooManySignIns(WarroomError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class SignInThrottle:
    per_login: int = PER_LOGIN
    per_address: int = PER_ADDRESS
    window: timedelta = WINDOW
    _failures: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque), init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def check(self, *, login: str, address: str, now: datetime) -> None:
        """Raise TooManySignIns while the login name or the address is over its limit."""
        with self._lock:
            for key, limit, what in self._keys(login, address):
                failures = self._recent(key, now)
                if len(failures) >= limit:
                    wait = max(1, math.ceil((failures[0] + self.window - now).total_seconds()))
                    minutes = max(1, math.ceil(wait / 60))
                    raise TooManySignIns(
                        f"Too many failed sign-ins {what}; wait {minutes} minute{'s' if minutes != 1 else ''} "
                        "and try again, or ask an admin to reset the password.", retry_after=wait)

    def failed(self, *, login: str, address: str, now: datetime) -> None:
        with self._lock:
            for key, _, _ in self._keys(login, address):
                self._recent(key, now).append(now)

    def succeeded(self, *, login: str) -> None:
        with self._lock:
            self._failures.pop(_login_key(login), None)

    def _keys(self, login: str, address: str) -> list[tuple[str, int, str]]:
        keys = [(_login_key(login), self.per_login, "for this user")]
        if address:
            keys.append((f"address:{address}", self.per_address, "from this address"))
        return keys

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures


def _login_key(login: str) -> str:
    return "login:" + login.strip().lstrip("@").lower()
