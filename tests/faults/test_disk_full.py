"""SQLite on a full filesystem: ingest answers 503 with Retry-After, health says the store is failing, and both
recover once there is room again, without a restart.

Before, a full disk answered a generic 500 without Retry-After, logged a traceback per event, and
/api/v1/health still said ok.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.faults.support import fault_table, pagerduty_key, trigger
from warroom.accounts import service as accounts
from warroom.api.app import create_app
from warroom.config import Settings
from warroom.core.actor import Actor
from warroom.core.clock import FakeClock
from warroom.db import faults, migrate
from warroom.db.engine import Database
from warroom.runtime import Runtime

FILESYSTEM_MB = 24
MOST_EVENTS = 5_000  # a bound on filling the disk through ingest, never reached


@pytest.fixture
def small_filesystem() -> Iterator[Path]:
    """A tmpfs of a few MB, mounted for this test only (needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    where = Path(tempfile.mkdtemp(prefix="warroom-full-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_MB}m", "tmpfs", str(where)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


def fill(path: Path) -> int:
    """Write ``path`` until the filesystem is full; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as out:
        while True:
            try:
                written += out.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
        for size in (4096, 512, 1):  # the last crumbs too
            while True:
                try:
                    written += out.write(b"\0" * size)
                except OSError:
                    break
    return written


@pytest.fixture
def runtime_on_small_disk(small_filesystem: Path, tmp_path: Path) -> Iterator[Runtime]:
    url = f"sqlite:///{small_filesystem / 'warroom.db'}"
    migrate.upgrade(url)
    settings = Settings(data_dir=tmp_path / "data", database_url=url, secret_key="k", seed_demo=False,
                        run_engine=False)
    runtime = Runtime(settings, Database(url), FakeClock())
    yield runtime
    runtime.stop_committer()
    runtime.database.dispose()


def test_disk_full_answers_503_health_fails_and_ingest_recovers_without_restart(
        runtime_on_small_disk: Runtime, small_filesystem: Path, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = runtime_on_small_disk
    monkeypatch.setattr(faults, "outages", faults.OutageLog())  # not what an earlier test's outage left
    with runtime.database.writing() as db:
        accounts.create_team(db=db, actor=Actor.system(runtime.clock), slug="payments", name="Payments")
    key = pagerduty_key(runtime, "payments")
    filler = small_filesystem / "filler"
    with TestClient(create_app(runtime, run_engine=False), raise_server_exceptions=False) as client:
        assert client.post("/v2/enqueue", json=trigger(key, "before")).status_code == 202
        fill(filler)
        statuses: list[int] = []
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            for n in range(MOST_EVENTS):  # new alerts (new dedup keys) until the store has no room for one
                answer = client.post("/v2/enqueue", json=trigger(key, f"disk-full-{n}", n))
                statuses.append(answer.status_code)
                if answer.status_code != 202:
                    break
            refused = answer
            for n in range(20):  # and a few more while it stays full
                statuses.append(client.post("/v2/enqueue", json=trigger(key, f"still-full-{n}", n)).status_code)
        assert refused.status_code == 503, (statuses[-3:], refused.text)
        assert refused.headers["retry-after"].isdigit()
        assert set(statuses) <= {202, 503}, sorted(set(statuses))
        assert not [r for r in caplog.records if r.exc_info], "a traceback was logged for a full disk"
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store ")]
        assert len(said) <= 2 and any("SQLITE_FULL" in s for s in said), said  # once, not once per event

        health = client.get("/api/v1/health")
        assert health.status_code == 503, health.text
        assert health.headers["retry-after"].isdigit()
        assert health.json()["store"] == "failing"

        filler.unlink()  # room again: the same process takes events and says ok
        assert client.post("/v2/enqueue", json=trigger(key, "after")).status_code == 202
        assert client.get("/api/v1/health").json()["status"] == "ok"
    fault_table("disk_full", accepted_before_full=statuses.count(202), refused=statuses.count(503),
                other=len([s for s in statuses if s not in (202, 503)]))
