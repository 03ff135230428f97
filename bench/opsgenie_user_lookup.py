"""What looking up an Opsgenie request's ``user`` costs: one lookup per transaction, as a close or an acknowledge
that names a user pays it.

    .venv/bin/python -m bench.opsgenie_user_lookup [--database-url postgresql://…] [--lookups 2000]

CPU of this process per lookup, less a read transaction that does nothing else. Figures for docs/benchmarks.md,
never a test.
"""

from __future__ import annotations

import argparse
import time

from bench.harness import fresh_store, machine
from warroom.api.compat.formats.opsgenie.alerts import named_user
from warroom.db.engine import Database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with fresh_store(args.database_url) as store:
        for _ in range(args.rounds):
            empty = cpu_per_transaction(store.runtime.database, args.lookups, lookup=False)
            full = cpu_per_transaction(store.runtime.database, args.lookups, lookup=True)
            print(f"user lookup: {(full - empty) * 1e6:.0f} us CPU each "
                  f"(a read transaction alone {empty * 1e6:.0f} us)", flush=True)


def cpu_per_transaction(database: Database, count: int, *, lookup: bool) -> float:
    started = time.process_time()
    for _ in range(count):
        with database.reading() as db:
            if lookup:
                named_user(db, "bob@example.com")  # a demo user, named as Opsgenie's clients name them
            else:
                db.connection()
    return (time.process_time() - started) / count


if __name__ == "__main__":
    main()
