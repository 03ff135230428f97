"""Is this process alive (/livez), and can it do its work (/readyz): the database answers, its schema is the
one this code expects, and an engine somewhere has written its heartbeat lately (pages are going out)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa

from warroom.core.clock import Clock
from warroom.db import faults, migrate
from warroom.db.engine import Database
from warroom.engine.models import EngineHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@cache
def expected_heads() -> frozenset[str]:
    """The migrations this code ships: every head (parallel branches are all applied)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())


def readiness(database: Database, clock: Clock, engine_within: float) -> list[Check]:
    """The checks /readyz answers with; a store that does not answer fails them all at once."""
    try:
        with database.reading() as db:
            applied = frozenset(db.scalars(sa.text("SELECT version_num FROM alembic_version")))
            beat = db.scalar(sa.select(sa.func.max(EngineHeartbeat.beat_at)))
    except sa.exc.SQLAlchemyError as error:
        faults.outages.failed(error, "readiness check")
        return [Check("database", False, "the database is not answering")]
    checks = [Check("database", True, "answers"), _migrations(applied)]
    if engine_within > 0:
        checks.append(_engine(beat, clock.now(), engine_within))
    return checks


def _migrations(applied: frozenset[str]) -> Check:
    missing = expected_heads() - applied
    if missing:
        return Check("migrations", False, f"the database lacks migration {', '.join(sorted(missing))}: run "
                     "`warroom db upgrade`")
    return Check("migrations", True, "current")


def _engine(beat: datetime | None, now: datetime, within: float) -> Check:
    if beat is None:
        return Check("engine", False, "no engine has ever run against this database: start `warroom engine` "
                     "(or `warroom serve`)")
    age = now - beat
    if age > timedelta(seconds=within):
        return Check("engine", False, f"the freshest engine heartbeat is {int(age.total_seconds())} s old "
                     f"(more than {within:g} s): no engine is ticking, so no page goes out")
    return Check("engine", True, f"heartbeat {max(age.total_seconds(), 0):.0f} s ago")
