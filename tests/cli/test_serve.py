"""`warroom serve` on an empty data directory: migrates, seeds the demo, answers, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import httpx

from .conftest import free_port, head

START_LIMIT_SECONDS = 60  # bounds on waiting (a slow CI machine), never timing assertions
STOP_LIMIT_SECONDS = 30


def test_serve_on_an_empty_data_dir_migrates_seeds_and_answers(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DATA_DIR=str(data_dir), WARROOM_ENGINE_TICK_SECONDS="0.2", COLUMNS="200")
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "warroom.cli", "serve", "--port", str(port)],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        health = _wait_for_health(process, f"http://127.0.0.1:{port}/api/v1/health")
        assert health == {"status": "ok", "database": "ok"}
        # The REST API is mounted in the same process (and wants a token).
        with httpx.Client() as http:
            page = http.get(f"http://127.0.0.1:{port}/api/v1/incidents")
        assert page.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        returncode = process.wait(timeout=STOP_LIMIT_SECONDS)
    output = log_path.read_text()
    assert returncode == 0, output
    assert f"Warroom is starting at http://127.0.0.1:{port}" in output
    assert f"Database: sqlite:///{data_dir / 'warroom.db'}" in output
    assert "Sign in as alice (admin) with password warroom-demo" in output
    assert "Warroom stopped." in output
    assert "Traceback" not in output

    with sqlite3.connect(data_dir / "warroom.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
        handles = [row[0] for row in db.execute("SELECT handle FROM users ORDER BY handle")]
        assert handles == ["alice", "bob", "carol", "dan", "erin", "pat", "vic"]
        assert db.execute("SELECT count(*) FROM incidents").fetchone() == (1,)


def _wait_for_health(process: subprocess.Popen[bytes], url: str) -> object:
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "warroom serve exited while starting"
        try:
            response = httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if response.status_code == 200:
            return response.json()
        time.sleep(0.1)
    raise AssertionError(f"warroom serve did not answer {url} within {START_LIMIT_SECONDS} s")
