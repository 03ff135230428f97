"""What a commit tells other processes: sent inside the transaction, so only a commit is heard, and only after it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.factories import Factory
from tests.support import wait_until
from warroom.accounts import service as accounts
from warroom.incidents import flows
from warroom.live import notify
from warroom.runtime import Runtime


@pytest.fixture
def other_process(runtime: Runtime) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A connection that listens as another Warroom process does."""
    info = notify.conninfo(runtime.settings.resolved_database_url())
    assert info is not None
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute(f"LISTEN {notify.CHANNEL}")
        yield conn


def heard(conn: psycopg.Connection[tuple[object, ...]]) -> set[str]:
    return {topic for note in conn.notifies(timeout=0.3) for topic in note.payload.split("\n")}


@pytest.mark.postgres_only
def test_a_committed_message_is_heard_with_its_room_and_a_rolled_back_one_is_not(
        runtime: Runtime, factory: Factory, other_process: psycopg.Connection[tuple[object, ...]]) -> None:
    bob = factory.user("bob")
    incident = factory.incident(bob)
    heard(other_process)  # what setting up committed
    with runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(bob), ref=incident.ref, text="never sent")
        db.flush()
        db.rollback()
    assert heard(other_process) == set()
    with runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(bob), ref=incident.ref, text="Rolled back the deploy")
        db.flush()
        assert list(other_process.notifies(timeout=0.2)) == [], "heard before the commit"
    assert f"live:incident:{incident.id}" in heard(other_process)


def test_topics_are_joined_into_payloads_postgresql_accepts() -> None:
    topics = {f"live:incident:{n}" for n in range(2000)}
    chunks = notify.payloads(topics)
    assert len(chunks) > 1
    assert all(len(chunk.encode()) <= notify.PAYLOAD_BYTES for chunk in chunks)
    assert {topic for chunk in chunks for topic in chunk.split("\n")} == topics


def test_no_listener_on_sqlite() -> None:
    assert notify.conninfo("sqlite:////tmp/warroom.db") is None
    with notify.listening("sqlite:////tmp/warroom.db") as listener:
        assert listener is None


def listening_pids(conn: psycopg.Connection[tuple[object, ...]]) -> set[int]:
    return {int(str(row[0])) for row in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'warroom-listen' "
        "AND datname = current_database()")}


@pytest.mark.postgres_only
def test_a_listener_whose_connection_is_cut_listens_again_and_hears_the_next_commit(
        runtime: Runtime, other_process: psycopg.Connection[tuple[object, ...]]) -> None:
    with notify.listening(runtime.settings.resolved_database_url()) as listener:
        assert listener is not None
        assert listener.listening.wait(10)
        before = listening_pids(other_process)
        for pid in before:
            other_process.execute("SELECT pg_terminate_backend(%s)", (pid,))
        wait_until(lambda: bool(listening_pids(other_process) - before), 10, what="the listener to reconnect")
        generation = accounts.credentials_generation()
        other_process.execute("SELECT pg_notify(%s, %s)", (notify.CHANNEL, accounts.CREDENTIALS))
        wait_until(lambda: accounts.credentials_generation() > generation, 5,
                   what="the reconnected listener to hear a revocation", every=0.02)


@pytest.mark.postgres_only
def test_a_listener_stops_at_once_however_long_its_wait_for_notifications(
        runtime: Runtime, other_process: psycopg.Connection[tuple[object, ...]]) -> None:
    """A stop ends the wait for notifications (a server's shutdown, and every test app's end, waited out the
    rest of it), and a notification sent meanwhile is still heard at once."""
    listener = notify.Listener(notify.conninfo(runtime.settings.resolved_database_url()) or "", wait=30).start()
    try:
        assert listener.listening.wait(10)
        generation = accounts.credentials_generation()
        other_process.execute("SELECT pg_notify(%s, %s)", (notify.CHANNEL, accounts.CREDENTIALS))
        wait_until(lambda: accounts.credentials_generation() > generation, 5,
                   what="a notification heard during a 30 s wait", every=0.02)
    finally:
        stopping = time.monotonic()
        listener.stop(timeout=40)
    assert time.monotonic() - stopping < 5
    assert wait_until(lambda: not listening_pids(other_process), 5)
    listener.stop()  # a second stop, after the thread closed its pipe: nothing to do


@pytest.fixture
def delivered() -> Iterator[list[str]]:
    """The topics this process's handlers were handed, in order."""
    seen: list[str] = []
    notify.on_topic(seen.append)
    try:
        yield seen
    finally:
        notify._handlers.remove(seen.append)


def test_a_change_made_in_a_savepoint_is_told_at_the_commit_not_at_the_savepoint(
        runtime: Runtime, factory: Factory, delivered: list[str]) -> None:
    """A chat message mirrored to the timeline is written in a savepoint: a reader woken when the savepoint ended
    would find nothing committed yet, and no wake-up would come with the commit itself."""
    bob = factory.user("bob")
    incident = factory.incident(bob)
    topic = f"live:incident:{incident.id}"
    delivered.clear()
    with runtime.database.writing() as db:
        with db.begin_nested():
            flows.post_message(db=db, actor=factory.actor(bob), ref=incident.ref, text="mirrored from the room")
        assert topic not in delivered, "told before the commit"
    assert topic in delivered


def test_a_savepoint_rolled_back_keeps_what_the_transaction_marked_before_it(
        runtime: Runtime, factory: Factory, delivered: list[str]) -> None:
    bob = factory.user("bob")
    incident = factory.incident(bob)
    topic = f"live:incident:{incident.id}"
    delivered.clear()
    with runtime.database.writing() as db:
        flows.post_message(db=db, actor=factory.actor(bob), ref=incident.ref, text="kept")
        db.flush()
        try:
            with db.begin_nested():
                raise ValueError("a step that failed on its own")
        except ValueError:
            pass
    assert topic in delivered


@pytest.mark.postgres_only
def test_this_process_hears_its_own_commit_once_and_another_process_s_through_the_listener(
        runtime: Runtime, factory: Factory, delivered: list[str]) -> None:
    """A commit is handed to this process's handlers at once; its NOTIFY coming back through this process's own
    listener would wake every stream and the engine a second time. A commit by another process (here a plain
    connection sending as Warroom does, from elsewhere) is heard through the listener."""
    bob = factory.user("bob")
    incident = factory.incident(bob)
    topic = f"live:incident:{incident.id}"
    with notify.listening(runtime.settings.resolved_database_url()) as listener:
        assert listener is not None and listener.listening.wait(10)
        time.sleep(0.5)  # the listener waits 0.25 s at a time
        delivered.clear()
        with runtime.database.writing() as db:
            flows.post_message(db=db, actor=factory.actor(bob), ref=incident.ref, text="once")
        time.sleep(0.5)
        assert delivered.count(topic) == 1
        info = notify.conninfo(runtime.settings.resolved_database_url())
        assert info is not None
        with psycopg.connect(info, autocommit=True) as other:
            other.execute("SELECT pg_notify(%s, %s)", (notify.CHANNEL, "from:elsewhere 1 0\nlive:incident:999"))
        assert wait_until(lambda: "live:incident:999" in delivered, 5, what="another process's commit heard")
    assert not [topic for topic in delivered if topic.startswith("from:")]
