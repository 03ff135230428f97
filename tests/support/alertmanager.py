"""A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, for the tests that
point it at Warroom."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .waiting import free_port, stop_process, wait_until

ALERTMANAGER = Path(os.environ.get("WARROOM_ALERTMANAGER", "/usr/bin/prometheus-alertmanager"))


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def alertmanager_process(config: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    """Run Alertmanager with ``config`` (YAML; JSON is YAML) until the block ends; yields its API URL and log."""
    if not ALERTMANAGER.exists():
        pytest.fail(f"{ALERTMANAGER} is missing: run `make test`, which installs Debian's prometheus-alertmanager "
                    "package (apt-get install -y prometheus-alertmanager).")
    config_file = workdir / "alertmanager.yml"
    config_file.write_text(config)
    port = free_port()
    log = workdir / "alertmanager.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(ALERTMANAGER), f"--config.file={config_file}", f"--storage.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"],
            stdout=output, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(api) or process.poll() is not None, seconds=30, what="alertmanager to be ready")
        assert process.poll() is None, f"alertmanager exited: {log.read_text()[-3000:]}"
        yield api, log
    finally:
        stop_process(process, 10)
