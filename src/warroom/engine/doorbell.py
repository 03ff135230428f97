"""On SQLite, a commit that adds jobs wakes the engine running in another process at once.

On PostgreSQL every process hears every commit that added jobs through LISTEN/NOTIFY (``live.notify``). SQLite has
no such channel: an engine in a process of its own (`warroom engine` beside `warroom serve --no-engine`, or the
engine of one `--workers` process while another took the alert) saw a new job only at its next tick
(WARROOM_ENGINE_TICK_SECONDS, 1 s by default), so a page waited up to that long.

So a running engine on SQLite answers a doorbell: a Unix datagram socket named after the database file, in
Linux's abstract namespace (no file to leave behind, nothing to clean up after a kill -9). A web process whose
commit added jobs rings it: one empty datagram, sent without waiting. One engine answers per database (the
handbook's SQLite set-up runs one); a second engine, a system without the abstract namespace, or a datagram lost
to a full buffer only means the next tick, as before. Nothing depends on the bell.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from warroom.engine import queue
from warroom.live import notify

log = logging.getLogger("warroom.engine")

_target: str | None = None  # the doorbell this process rings: the one of the database its web app writes to
_sender: socket.socket | None = None


def address(database_url: str) -> str | None:
    """The doorbell of the engine on this SQLite database file (None: not a SQLite file)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    digest = hashlib.sha256(os.path.realpath(url.database).encode()).hexdigest()[:32]
    return f"\0warroom-engine-{digest}"


@contextmanager
def ringing(database_url: str) -> Iterator[None]:
    """While in the block, every commit of this process that adds jobs rings the engine of ``database_url``."""
    global _target, _sender
    target = address(database_url)
    if target is None:
        yield
        return
    if _sender is None:
        _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        _sender.setblocking(False)
    previous, _target = _target, target
    try:
        yield
    finally:
        _target = previous  # an app inside another (tests) gives the bell back to the outer one


@notify.on_topic
def _committed(topic: str) -> None:
    if topic == queue.JOBS:
        ring()


def ring() -> None:
    target, sender = _target, _sender
    if target is None or sender is None:
        return
    # No engine answers (refused), or its bell is full (it is awake already): its next tick, as without the bell.
    with contextlib.suppress(OSError):
        sender.sendto(b"", target)


@contextmanager
def answering(database_url: str, wake: Callable[[], None] = queue.wake) -> Iterator[bool]:
    """The engine's side: ``wake`` whenever the bell of ``database_url`` rings, while in the block. Yields whether
    this engine answers it (False: not SQLite, another engine does, or no abstract namespace here)."""
    bell = address(database_url)
    listener = _bind(bell) if bell is not None else None
    if listener is None:
        yield False
        return
    stop = threading.Event()
    thread = threading.Thread(target=_answer, args=(listener, stop, wake), name="warroom-doorbell", daemon=True)
    thread.start()
    try:
        yield True
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def _bind(bell: str) -> socket.socket | None:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        listener.bind(bell)
    except OSError as error:  # in use: another engine answers; or no abstract namespace on this system
        listener.close()
        log.info("not answering the doorbell on new jobs (%s): this engine wakes on its ticks", error)
        return None
    listener.settimeout(0.5)  # so a stop is seen within half a second
    return listener


def _answer(listener: socket.socket, stop: threading.Event, wake: Callable[[], None]) -> None:
    while not stop.is_set():
        try:
            listener.recv(1)
        except TimeoutError:
            continue
        except OSError:
            return
        wake()
