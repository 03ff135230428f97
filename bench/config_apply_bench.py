"""Config as code at size: apply a file of 200 schedules (with their people, teams, policies and keys).

    .venv/bin/python -m bench.config_apply_bench [--schedules 200] [--repeat 3] [--database-url URL]

Times, in-process on a fresh store: the first apply (everything created), applying the same file again (a plan
with nothing to change), an apply that changes one layer of every schedule, and an export. Each apply is one
transaction through the domain services, as `warroom config apply -f FILE` runs it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bench.harness import LOOPBACK, machine, scratch_database
from warroom.cli.local import cli_actor
from warroom.config import Settings
from warroom.config_as_code import service as config
from warroom.runtime import Runtime, build_runtime

TEAMS = 50
PEOPLE_PER_SCHEDULE = 2


def make_file(schedules: int, *, handoff_hour: int = 9) -> str:
    """A company's set-up: two new people per schedule, a team per four schedules, a policy and a key each."""
    people = [f"p{n:04d}" for n in range(schedules * PEOPLE_PER_SCHEDULE)]
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    data: dict[str, Any] = {"version": 1}
    data["people"] = [{"handle": h, "email": f"{h}@example.com", "name": f"Person {h}",
                       "contact_methods": [{"kind": "email", "address": f"{h}@example.com",
                                            "notify_after_minutes": [0, 10]}]} for h in people]
    data["teams"] = [{"slug": f"team-{t:02d}", "name": f"Team {t}",
                      "members": people[t::TEAMS]} for t in range(TEAMS)]
    data["schedules"] = []
    data["escalation_policies"] = []
    data["integration_keys"] = []
    for n in range(schedules):
        crew = [people[(n * PEOPLE_PER_SCHEDULE + k) % len(people)] for k in range(4)]
        data["schedules"].append({
            "slug": f"schedule-{n:03d}", "name": f"Schedule {n}", "time_zone": "Europe/Berlin",
            "team": f"team-{n % TEAMS:02d}",
            "layers": [{"name": "Weekly", "rotation": "weekly", "handoff": f"2026-01-05T{handoff_hour:02d}:00",
                        "participants": crew},
                       {"name": "Business hours", "rotation": "daily", "handoff": "2026-01-05T09:00",
                        "participants": crew[:2],
                        "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}]}],
            "overrides": [{"user": crew[1], "replaces": crew[0], "start": start.isoformat(timespec="minutes"),
                           "end": (start + timedelta(hours=12)).isoformat(timespec="minutes")}]})
        data["escalation_policies"].append({
            "slug": f"policy-{n:03d}", "name": f"Policy {n}", "repeat": 1,
            **({"team": f"team-{n:02d}"} if n < TEAMS else {}),
            "steps": [{"delay_minutes": 5, "targets": [{"schedule": f"schedule-{n:03d}"}]},
                      {"delay_minutes": 10, "targets": [{"user": crew[0]}, {"team": f"team-{n % TEAMS:02d}"}]}]})
        data["integration_keys"].append({"name": f"prometheus-{n:03d}", "kind": "alertmanager",
                                         "escalation_policy": f"policy-{n:03d}"})
    return yaml.safe_dump(data, sort_keys=False)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = action()
    return (time.perf_counter() - began) * 1000, result


def apply(runtime: Runtime, text: str) -> config.Applied:
    with runtime.database.writing() as db:
        return config.apply(db=db, actor=cli_actor(runtime), text=text, outbound=runtime.outbound)


def export(runtime: Runtime) -> str:
    with runtime.database.reading() as db:
        return config.export_text(db=db, now=runtime.clock.now())


def run(runtime: Runtime, schedules: int, repeat: int) -> None:
    text = make_file(schedules)
    print(f"file: {len(text) / 1024:.0f} KiB, {text.count(chr(10))} lines")
    ms, applied = timed(lambda: apply(runtime, text))
    print(f"first apply ({applied.plan.summary()}): {ms:.0f} ms")
    again = [timed(lambda: apply(runtime, text)) for _ in range(repeat)]
    assert all(a.plan.changes == 0 for _, a in again)
    print(f"apply again, nothing to change: median {statistics.median(m for m, _ in again):.0f} ms "
          f"(of {repeat})")
    changes = []
    for hour in range(10, 10 + repeat):
        changed = make_file(schedules, handoff_hour=hour)
        ms, applied = timed(lambda changed=changed: apply(runtime, changed))
        assert applied.plan.changes == schedules, applied.plan.summary()
        changes.append(ms)
    print(f"apply changing one layer of every schedule: median {statistics.median(changes):.0f} ms (of {repeat})")
    exports = [timed(lambda: export(runtime))[0] for _ in range(repeat)]
    print(f"export: median {statistics.median(exports):.0f} ms (of {repeat})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schedules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server (a scratch database is made)")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="warroom-bench-") as data_dir, \
            scratch_database(args.database_url) as url:
        settings = Settings(data_dir=Path(data_dir), database_url=url, seed_demo=False, run_engine=False,
                            secret_key="bench", outbound_allow=LOOPBACK)
        runtime = build_runtime(settings)
        print(f"store: {runtime.database.engine.dialect.name}")
        try:
            run(runtime, args.schedules, args.repeat)
        finally:
            runtime.database.dispose()


if __name__ == "__main__":
    main()
