"""A real Prometheus server and promtool (Debian's prometheus package), for the tests that scrape Warroom."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .waiting import free_port, stop_process, wait_until

PROMETHEUS = Path(os.environ.get("WARROOM_PROMETHEUS", "/usr/bin/prometheus"))
PROMTOOL = Path(os.environ.get("WARROOM_PROMTOOL", "/usr/bin/promtool"))


def _installed(program: Path) -> None:
    if not program.exists():
        pytest.fail(f"{program} is missing: run `make browser` as root, which installs Debian's prometheus "
                    "package (apt-get install -y prometheus).")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    _installed(PROMTOOL)
    return subprocess.run([str(PROMTOOL), *args], capture_output=True, text=True, timeout=60, check=False)


def _ready(api: str) -> bool:
    try:
        return httpx.get(f"{api}/-/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def prometheus_process(config: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    """Run Prometheus with ``config`` (YAML) until the block ends; yields its API URL and its log."""
    _installed(PROMETHEUS)
    config_file = workdir / "prometheus.yml"
    config_file.write_text(config)
    port = free_port()
    log = workdir / "prometheus.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [str(PROMETHEUS), f"--config.file={config_file}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=debug"],
            stdout=output, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(api) or process.poll() is not None, seconds=30, what="prometheus to be ready")
        assert process.poll() is None, f"prometheus exited: {log.read_text()[-3000:]}"
        yield api, log
    finally:
        stop_process(process, 10)
