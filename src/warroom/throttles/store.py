"""Throttle state kept in the database, so N web processes are together as generous as one.

Each operation is one short write transaction. On PostgreSQL, a transaction-scoped advisory lock on the key makes
two processes counting the same key take turns (otherwise both could read 4 of 5 and both let a fifth through);
on SQLite the write transaction already does. Rows say until when they matter; ``prune`` deletes the rest, and
runs by itself at most every PRUNE_EVERY from each process.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from warroom.db.engine import Database
from warroom.throttles.models import ThrottleCount, ThrottleHit, UsedFormToken

PRUNE_EVERY = 60.0  # seconds between one process's sweeps of rows past their time


class SharedThrottles:
    """Failure counts, windowed hits and used form tokens, in the database every process reads."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._pruned = 0.0
        self._lock = threading.Lock()

    # Failure counts (sign-in) ------------------------------------------------------------------------------

    def counts(self, keys: Collection[str], now: datetime) -> dict[str, tuple[int, datetime]]:
        """The live counts under these keys: key -> (failures, last failure)."""
        with self.database.reading() as db:
            rows = db.execute(sa.select(ThrottleCount.key, ThrottleCount.count, ThrottleCount.last_at)
                              .where(ThrottleCount.key.in_(list(keys)), ThrottleCount.expires_at > now))
            return {key: (count, last) for key, count, last in rows}

    def count_failure(self, keys: Collection[str], now: datetime, forget_after: timedelta) -> None:
        """One more failure under each key; a count whose last failure is forgotten starts again at 1."""
        with self.database.writing() as db:
            for key in sorted(keys):  # one order in every process: two failures never wait on each other's locks
                _take_turns(db, key)
                row = db.get(ThrottleCount, key)
                if row is None:
                    db.add(ThrottleCount(key=key, count=1, last_at=now, expires_at=now + forget_after))
                else:
                    row.count = 1 if row.expires_at <= now else row.count + 1
                    row.last_at = now
                    row.expires_at = now + forget_after
        self._maybe_prune(now)

    def forget(self, key: str) -> None:
        with self.database.writing() as db:
            db.execute(sa.delete(ThrottleCount).where(ThrottleCount.key == key))

    # Hits in a sliding window (report form, subscriptions) ------------------------------------------------

    def hit(self, key: str, now: datetime, *, limit: int, window: timedelta) -> int:
        """Count one hit under ``key`` and answer 0, or, when ``limit`` hits are already inside the window,
        count nothing and answer the whole seconds until the oldest leaves it."""
        with self.database.writing() as db:
            _take_turns(db, key)
            inside = list(db.scalars(sa.select(ThrottleHit.at).where(ThrottleHit.key == key,
                                                                      ThrottleHit.at > now - window)
                                     .order_by(ThrottleHit.at).limit(limit)))
            if len(inside) >= limit:
                return max(1, math.ceil((inside[0] + window - now).total_seconds()))
            db.add(ThrottleHit(key=key, at=now, expires_at=now + window))
        self._maybe_prune(now)
        return 0

    # Used form tokens ---------------------------------------------------------------------------------------

    def use_once(self, nonce: str, now: datetime, until: datetime) -> bool:
        """Mark the token used; False when it was already (and is not yet past ``until``)."""
        try:
            with self.database.writing() as db:
                found = db.get(UsedFormToken, nonce)
                if found is not None and found.expires_at > now:
                    return False
                if found is not None:
                    found.expires_at = until
                else:
                    db.add(UsedFormToken(nonce=nonce, expires_at=until))
        except IntegrityError:  # another process used it at the same moment
            return False
        self._maybe_prune(now)
        return True

    def release(self, nonce: str) -> None:
        with self.database.writing() as db:
            db.execute(sa.delete(UsedFormToken).where(UsedFormToken.nonce == nonce))

    # Pruning ------------------------------------------------------------------------------------------------

    def prune(self, now: datetime) -> int:
        """Delete every row past its time; how many went."""
        gone = 0
        with self.database.writing() as db:
            for model in (ThrottleCount, ThrottleHit, UsedFormToken):
                result = db.execute(sa.delete(model).where(model.expires_at <= now)
                                    .execution_options(synchronize_session=False))
                gone += int(result.rowcount)  # type: ignore[attr-defined]
        return gone

    def _maybe_prune(self, now: datetime) -> None:
        with self._lock:
            if time.monotonic() - self._pruned < PRUNE_EVERY:
                return
            self._pruned = time.monotonic()
        self.prune(now)


def _take_turns(db: Session, key: str) -> None:
    """On PostgreSQL, hold a lock on ``key`` until the transaction ends (SQLite has one writer at a time)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"warroom-throttle:{key}"})
