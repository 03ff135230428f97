"""Failed sign-ins slow the guesser down, never the owner.

Three counts of recent failures, each with its own back-off (after some free failures, every further one
doubles the wait before the next try, up to MAX_WAIT):

- one login name from one address: five typos are free, then that address waits to try that name again;
- one address, whatever the name: twenty free, then every sign-in from that address waits;
- one login name, from every address: past ten, addresses that have failed for that name wait too,
  so many addresses sharing one guessing job get little each.

An address that has not been failing for a name is never made to wait for it by someone else's failures:
the on-call engineer's right password from their own laptop signs in while an attacker hammers their name.
A count is forgotten after FORGET_AFTER without a failure; a successful sign-in forgets that name's count
from that address only (not the address's, not the name's), so a guesser cannot clear theirs by signing in
to an account of their own.

The counts live in the database when the throttle is given one (``shared``, as every Warroom process is): N web
workers on one database are together as strict as one. Without it (a throttle made on its own) they live in the
process, at most MAX_KEYS of them, the oldest dropped first.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from warroom.core.errors import WarroomError
from warroom.throttles.store import SharedThrottles

FREE_PER_NAME_AND_ADDRESS = 5
FREE_PER_ADDRESS = 20
FREE_PER_NAME = 10
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
MAX_KEYS = 100_000


class TooManySignIns(WarroomError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _Failures:
    count: int
    last: datetime


@dataclass
class SignInThrottle:
    free_per_name_and_address: int = FREE_PER_NAME_AND_ADDRESS
    free_per_address: int = FREE_PER_ADDRESS
    free_per_name: int = FREE_PER_NAME
    first_wait: timedelta = FIRST_WAIT
    max_wait: timedelta = MAX_WAIT
    forget_after: timedelta = FORGET_AFTER
    max_keys: int = MAX_KEYS
    shared: SharedThrottles | None = None  # where the counts live; None: in this process
    _failures: dict[str, _Failures] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def check(self, *, login: str, address: str, now: datetime) -> None:
        """Raise TooManySignIns while this address must wait before trying this login name again."""
        name, pair, place = _keys(login, address)
        known = self._read((name, pair, place), now)
        waits = [(self._wait(known.get(pair), self.free_per_name_and_address, now), "for this user from this address"),
                 (self._wait(known.get(place), self.free_per_address, now), "from this address")]
        if pair in known:  # only addresses that failed for this name share its wait
            waits.append((self._wait(known.get(name), self.free_per_name, now), "for this user"))
        wait, what = max(waits, key=lambda item: item[0])
        if wait > 0:
            raise TooManySignIns(f"Too many failed sign-ins {what}; wait {_spoken(wait)} and try again, "
                                 "or ask an admin to reset the password.", retry_after=wait)

    def failed(self, *, login: str, address: str, now: datetime) -> None:
        keys = _keys(login, address)
        if self.shared is not None:
            self.shared.count_failure(keys, now, self.forget_after)
            return
        with self._lock:
            for key in keys:
                known = self._recent(key, now)
                if known is None:
                    self._failures[key] = _Failures(1, now)
                else:
                    known.count += 1
                    known.last = now
            if len(self._failures) > self.max_keys:
                self._forget_oldest(now)

    def succeeded(self, *, login: str, address: str) -> None:
        _, pair, _ = _keys(login, address)
        if self.shared is not None:
            self.shared.forget(pair)
            return
        with self._lock:
            self._failures.pop(pair, None)

    def _read(self, keys: Collection[str], now: datetime) -> dict[str, _Failures]:
        """The live counts under these keys."""
        if self.shared is not None:
            return {key: _Failures(count, last) for key, (count, last) in self.shared.counts(keys, now).items()}
        with self._lock:
            return {key: _Failures(known.count, known.last) for key in keys
                    if (known := self._recent(key, now)) is not None}

    def _recent(self, key: str, now: datetime) -> _Failures | None:
        known = self._failures.get(key)
        if known is not None and now - known.last >= self.forget_after:
            del self._failures[key]
            return None
        return known

    def _wait(self, known: _Failures | None, free: int, now: datetime) -> int:
        """Whole seconds until the next try under this count (0: go ahead)."""
        if known is None or known.count < free:
            return 0
        doublings = min(known.count - free, 30)
        backoff = min(self.max_wait, self.first_wait * (1 << doublings))
        return max(0, math.ceil((known.last + backoff - now).total_seconds()))

    def _forget_oldest(self, now: datetime) -> None:
        for key in [key for key, known in self._failures.items() if now - known.last >= self.forget_after]:
            del self._failures[key]
        excess = len(self._failures) - self.max_keys
        if excess > 0:
            for key in sorted(self._failures, key=lambda k: self._failures[k].last)[:excess]:
                del self._failures[key]


def _keys(login: str, address: str) -> tuple[str, str, str]:
    name = login.strip().lstrip("@").lower()
    return f"name:{name}", f"pair:{name}\n{address}", f"address:{address}"


def _spoken(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
