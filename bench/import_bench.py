"""An account imported from PagerDuty's REST API answers, saved to a folder: how long the import takes.

    .venv/bin/python -m bench.import_bench [--users 500] [--teams 100] [--schedules 200] [--policies 200]
                                           [--database-url URL]

Target (issue 13): 500 users, 100 teams, 200 schedules and 200 escalation policies in under 60 s, on SQLite and
PostgreSQL. Each user has two contact methods and two notification rules; each team five members; each schedule
two layers (a weekly rotation of four people, and an office-hours layer with a daily restriction) and one
override; each policy two rules (a schedule, then a person) and a service whose Events v2 key is kept. The same
folder is then imported again (nothing to create: the idempotent re-run) and, before both, as a dry run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import fresh_store, machine
from warroom.core.actor import Actor
from warroom.importers.run import Source, Where, import_into, read


def account(users: int, teams: int, schedules: int, policies: int, now: datetime) -> dict[str, Any]:
    """PagerDuty's answers (one page each, as a folder holds them) for an account of this size."""
    people = [{"id": f"PU{n}", "type": "user", "name": f"Person {n}", "email": f"person{n}@bench.example",
               "role": "user", "contact_methods": [
                   {"id": f"PE{n}", "type": "email_contact_method", "address": f"person{n}@bench.example"},
                   {"id": f"PS{n}", "type": "sms_contact_method", "address": f"151{n:08d}", "country_code": 49}],
               "notification_rules": [
                   {"id": f"PR{n}a", "start_delay_in_minutes": 0, "urgency": "high",
                    "contact_method": {"id": f"PE{n}"}},
                   {"id": f"PR{n}b", "start_delay_in_minutes": 5, "urgency": "high",
                    "contact_method": {"id": f"PS{n}"}}]} for n in range(users)]
    groups = [{"id": f"PT{n}", "type": "team", "name": f"Team {n}"} for n in range(teams)]
    members = {f"PT{n}": {"members": [{"user": {"id": f"PU{(n * 5 + k) % users}"}, "role": "responder"}
                                      for k in range(5)]} for n in range(teams)}
    rotas = [{"schedule": {
        "id": f"PSC{n}", "name": f"Rota {n}", "time_zone": "Europe/Berlin", "teams": [{"id": f"PT{n % teams}"}],
        "schedule_layers": [
            {"id": f"PL{n}a", "name": "Weekly", "start": "2026-01-05T08:00:00Z",
             "rotation_virtual_start": "2026-01-05T08:00:00Z", "rotation_turn_length_seconds": 604800,
             "users": [{"user": {"id": f"PU{(n * 4 + k) % users}"}} for k in range(4)], "restrictions": []},
            {"id": f"PL{n}b", "name": "Office hours", "start": "2026-01-05T08:00:00Z",
             "rotation_virtual_start": "2026-01-05T08:00:00Z", "rotation_turn_length_seconds": 86400,
             "users": [{"user": {"id": f"PU{(n * 4 + 3) % users}"}}],
             "restrictions": [{"type": "daily_restriction", "start_time_of_day": "09:00:00",
                               "duration_seconds": 28800}]}]}} for n in range(schedules)]
    cover = (now + timedelta(days=1)).replace(microsecond=0)
    overrides = {f"PSC{n}": {"overrides": [{"id": f"PO{n}", "start": cover.isoformat(),
                                            "end": (cover + timedelta(hours=2)).isoformat(),
                                            "user": {"id": f"PU{n % users}"}}]} for n in range(schedules)}
    plans = [{"id": f"PP{n}", "name": f"Policy {n}", "num_loops": 1, "teams": [{"id": f"PT{n % teams}"}],
              "escalation_rules": [
                  {"escalation_delay_in_minutes": 15, "targets": [{"id": f"PSC{n % schedules}",
                                                                   "type": "schedule_reference"}]},
                  {"escalation_delay_in_minutes": 30, "targets": [{"id": f"PU{n % users}",
                                                                   "type": "user_reference"}]}]}
             for n in range(policies)]
    services = [{"id": f"PSV{n}", "name": f"Service {n}", "escalation_policy": {"id": f"PP{n}"},
                 "integrations": [{"id": f"PI{n}", "type": "events_api_v2_inbound_integration",
                                   "name": "Prometheus", "integration_key": f"{n:032x}"}]} for n in range(policies)]
    return {"users": {"users": people}, "teams": {"teams": groups}, "team-members": members, "schedules": rotas,
            "overrides": overrides, "escalation_policies": {"escalation_policies": plans},
            "services": {"services": services}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--schedules", type=int, default=200)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="warroom-import-") as saved, fresh_store(args.database_url) as store:
        folder = Path(saved)
        for name, answer in account(args.users, args.teams, args.schedules, args.policies,
                                     store.runtime.clock.now()).items():
            (folder / f"{name}.json").write_text(json.dumps(answer))
        actor = Actor.system(store.runtime.clock)
        for label, dry in (("dry run", True), ("import", False), ("again (nothing new)", False)):
            start = time.perf_counter()
            data = read(Source.pagerduty, Where(folder=folder), store.runtime.clock.now())
            report = import_into(store.runtime.database, Source.pagerduty, data, actor=actor, dry_run=dry)
            took = time.perf_counter() - start
            made = {k: v for k, v in report.created.items() if v}
            print(f"{label}: {took:.1f} s  created {made}  skipped {report.skipped}")


if __name__ == "__main__":
    main()
