"""Loopback ports, bounded waits and stopping processes, for tests that run real servers and processes."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def free_socket() -> socket.socket:
    """A TCP socket bound to a free 127.0.0.1 port (SO_REUSEADDR), for a server to listen on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    """A 127.0.0.1 port nobody listens on right now."""
    with free_socket() as sock:
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], seconds: float, *, what: str = "", every: float = 0.1) -> bool:
    """Poll ``check`` until it holds (True), for at most ``seconds`` — a bound on waiting, not a timing assertion.

    When it never holds: False, or, if ``what`` is given, an AssertionError naming what never happened.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    if check():
        return True
    if what:
        raise AssertionError(f"timed out after {seconds:.0f}s waiting for: {what}")
    return False


def stop_process(process: subprocess.Popen[bytes] | None, seconds: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``seconds``; a process already gone is left alone."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)
