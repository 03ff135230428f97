"""A real PgBouncer (Debian package pgbouncer) in transaction mode, in front of the suite's PostgreSQL.

Started as the ``postgres`` user (PgBouncer refuses to run as root), on a free port, trusting every user of its
auth file, and routing every database name to the PostgreSQL the suite uses.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from .waiting import free_port, stop_process, wait_until


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/sbin")


def _config(folder: Path, port: int, server: sa.engine.URL) -> str:
    return "\n".join([
        "[databases]",
        f"* = host={server.host or '127.0.0.1'} port={server.port or 5432}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {port}",
        "auth_type = trust",
        f"auth_file = {folder / 'users.txt'}",
        "pool_mode = transaction",
        "max_client_conn = 200",
        "default_pool_size = 20",
        # Each transaction on the next server connection in turn (not the one the client had last): what a busy
        # pool does to a client anyway, made certain, so nothing can lean on one client keeping one server.
        "server_round_robin = 1",
        "unix_socket_dir =",
        "ignore_startup_parameters = extra_float_digits,options",
        "",
    ])


@contextmanager
def pgbouncer_process(database_url: str) -> Iterator[str]:
    """PgBouncer in front of ``database_url``'s server; yields the same URL through PgBouncer.

    Its files live in a folder of their own under the system's temporary folder (pytest's are root's alone)."""
    binary = pgbouncer_binary()
    assert binary is not None, "pgbouncer is not installed (Debian package pgbouncer; `make browser` installs it)"
    server = sa.engine.make_url(database_url)
    folder = Path(tempfile.mkdtemp(prefix="warroom-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text(f'"{server.username or "postgres"}" ""\n')
    (folder / "pgbouncer.ini").write_text(_config(folder, port, server))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
    command = [binary, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(folder / "pgbouncer.ini")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pooled = server.set(drivername="postgresql", host="127.0.0.1", port=port).render_as_string(hide_password=False)
    try:
        assert wait_until(lambda: _answers(pooled) or process.poll() is not None, 20), "pgbouncer did not start"
        assert process.poll() is None, f"pgbouncer exited: {process.stderr.read().decode() if process.stderr else ''}"
        yield pooled
    finally:
        stop_process(process, 10)
        shutil.rmtree(folder, ignore_errors=True)


def _answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False
