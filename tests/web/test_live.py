"""Live updates over Server-Sent Events, read from the stream with bounded loops."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from warroom.incidents import flows
from warroom.live.broker import ANNOUNCEMENTS, broker, incident_channel

Event = dict[str, str]
MAX_LINES = 300  # a bound, not a clock: the events come long before this many lines


def events(response: httpx.Response) -> Iterator[Event]:
    """Parse the text/event-stream into events (comments are keep-alives and skipped)."""
    current: Event = {}
    for n, line in enumerate(response.iter_lines()):
        if n > MAX_LINES:
            return
        if not line:
            if current:
                yield current
            current = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        current[name] = current[name] + "\n" + value if name == "data" and "data" in current else value


def until(stream: Iterator[Event], done: Callable[[Event], bool]) -> list[Event]:
    seen = []
    for event in stream:
        seen.append(event)
        if done(event):
            return seen
    raise AssertionError(f"the stream ended without the event; saw {seen}")


@pytest.fixture
def room(factory, people):
    return factory.incident(people.bob, title="Search is down")


def post(runtime, factory, user, text: str) -> int:
    with runtime.database.writing() as db:
        entry = flows.post_message(db=db, actor=factory.actor(user), ref="INC-1", text=text)
        db.flush()
        return entry.id


def test_a_reconnecting_browser_gets_what_it_missed_after_its_last_id(browser, people, room, runtime, factory):
    bob = browser(people.bob)
    last_seen = post(runtime, factory, people.bob, "seen before the connection dropped")
    missed = post(runtime, factory, people.carol, "<b>posted</b> while away")
    with bob.client.stream("GET", f"/incidents/INC-1/events?after={last_seen}") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        seen = until(events(response), lambda e: e.get("event") == "panel")
    entries = [e for e in seen if e.get("event") == "entry"]
    assert [int(e["id"]) for e in entries] == [missed]
    assert f'id="e-{missed}"' in entries[0]["data"]
    assert "&lt;b&gt;posted&lt;/b&gt; while away" in entries[0]["data"]
    assert "@carol" in entries[0]["data"]


def test_last_event_id_wins_over_the_after_parameter(browser, people, room, runtime, factory):
    bob = browser(people.bob)
    first = post(runtime, factory, people.bob, "one")
    second = post(runtime, factory, people.bob, "two")
    with bob.client.stream("GET", "/incidents/INC-1/events?after=0",
                           headers={"Last-Event-ID": str(first)}) as response:
        seen = until(events(response), lambda e: e.get("event") == "panel")
    assert [int(e["id"]) for e in seen if e.get("event") == "entry"] == [second]


def test_a_new_entry_is_pushed_to_an_open_room_and_the_panel_told_to_refresh(browser, people, room, runtime,
                                                                              factory):
    bob = browser(people.bob)
    with bob.client.stream("GET", "/incidents/INC-1/events") as response:
        stream = events(response)
        assert "retry" in next(stream)  # connected and subscribed: only newer entries will come
        new = post(runtime, factory, people.carol, "Customer reports are slowing down")
        seen = until(stream, lambda e: e.get("event") == "panel")
    entries = [e for e in seen if e.get("event") == "entry"]
    assert [int(e["id"]) for e in entries] == [new]
    assert "Customer reports are slowing down" in entries[0]["data"]
    # Leaving the room unsubscribes from its channel.
    assert unsubscribed(incident_channel(room.id))


def test_pinning_re_sends_the_pinned_entry(browser, people, room, runtime, factory):
    bob = browser(people.bob)
    message = post(runtime, factory, people.bob, "root cause: expired certificate")
    with bob.client.stream("GET", f"/incidents/INC-1/events?after={message}") as response:
        stream = events(response)
        next(stream)
        with runtime.database.writing() as db:
            flows.pin_entry(db=db, actor=factory.actor(people.bob), ref="INC-1", entry_id=message)
        seen = until(stream, lambda e: e.get("event") == "replace")
    replaced = next(e for e in seen if e.get("event") == "replace")["data"]
    assert f'id="e-{message}"' in replaced and "is-pinned" in replaced


def test_the_event_stream_needs_a_signed_in_person_and_a_real_incident(browser, people, room, client):
    assert client.get("/incidents/INC-1/events").status_code == 401
    assert browser(people.bob).get("/incidents/INC-77/events").status_code == 404


def test_announcements_stream_live(browser, people, runtime, factory):
    bob = browser(people.bob)
    page = bob.get("/announcements")
    assert "Nothing announced yet." in page.text
    with bob.client.stream("GET", "/announcements/events") as response:
        stream = events(response)
        next(stream)
        factory.incident(people.carol, title="Email delivery delayed", severity="major")
        seen = until(stream, lambda e: e.get("event") == "announcement")
    announced = seen[-1]
    assert "New incident INC-1 [major] Email delivery delayed" in announced["data"]
    assert 'href="/incidents/INC-1"' in announced["data"]
    assert unsubscribed(ANNOUNCEMENTS)
    assert "Email delivery delayed" in bob.get("/announcements").text


def unsubscribed(channel: str, seconds: float = 5.0) -> bool:
    """The server drops a stream's subscription on its own thread a moment after the client leaves."""
    deadline = time.monotonic() + seconds
    while broker._subscribers.get(channel) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not broker._subscribers.get(channel)


def test_leaving_while_an_event_waits_to_be_written_unsubscribes_at_once(browser, people, room, runtime, factory):
    bob = browser(people.bob)
    gc.disable()  # the subscription must end with the request, not when a collection finds the stream
    try:
        with bob.client.stream("GET", "/incidents/INC-1/events") as response:
            stream = events(response)
            assert "retry" in next(stream)
            post(runtime, factory, people.carol, "read")
            assert next(stream)["event"] == "entry"
            post(runtime, factory, people.carol, "never read")
            time.sleep(0.5)  # the stream has it ready and waits for the client to take it
        assert unsubscribed(incident_channel(room.id), seconds=2.0)
    finally:
        gc.enable()
