"""The Matrix listener answers a line starting like a mistyped command with the closest one, written with Matrix's
``!``, as a reply to the line. The homeserver is a local fake speaking the client-server API's send endpoint
(PUT /_matrix/client/v3/rooms/{room}/send/m.room.message/{txn}); the whole /sync loop runs against a real Synapse
in tests/matrix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from warroom.chat import service as chat
from warroom.chat_inbound.matrix.listener import MatrixListener
from warroom.core.clock import FakeClock
from warroom.integrations.matrix.client import MatrixPlatform
from warroom.runtime import Runtime
from warroom.timeline import service as timeline

from .. import support
from ..factories import Factory
from ..support import Reply, Request, http_server

BOT, BOB, ROOM = "@warroom:localhost", "@bob:localhost", "!room:localhost"


class Homeserver:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def respond(self, request: Request) -> Reply:
        if request.method == "PUT" and "/send/m.room.message/" in request.path:
            self.sent.append((request.path.split("/rooms/")[1].split("/")[0], request.json()))
            return Reply(200, {"event_id": f"$answer{len(self.sent)}"})
        return Reply(404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})


@pytest.fixture
def homeserver() -> Iterator[tuple[Homeserver, str]]:
    fake = Homeserver()
    with http_server(fake.respond) as server:
        yield fake, server.url


@pytest.fixture
def listener(homeserver: tuple[Homeserver, str], runtime: Runtime, factory: Factory,
             clock: FakeClock) -> MatrixListener:
    bob = support.people(factory, {"bob": "engineering"})["bob"]
    with runtime.database.writing() as db:
        chat.link_person(db=db, platform="matrix", person_id=BOB, user=bob, linked_by="manual", now=clock.now())
    return MatrixListener(runtime.database, MatrixPlatform(homeserver[1], BOT, "syt_bot_token"), clock)


def _line(text: str, event_id: str) -> dict[str, Any]:
    return {"type": "m.room.message", "sender": BOB, "event_id": event_id, "origin_server_ts": 1767600000000,
            "content": {"msgtype": "m.text", "body": text}}


def test_a_mistyped_command_is_answered_with_the_closest_one_as_a_reply(
        homeserver: tuple[Homeserver, str], listener: MatrixListener) -> None:
    fake, _ = homeserver
    assert listener.handle(ROOM, _line("!incdent lead @bob:localhost", "$typo1")) == 1
    assert listener.handle(ROOM, _line("!incdent lead @bob:localhost", "$typo1")) == 1  # seen again: once
    [(room, content)] = fake.sent
    assert room == ROOM.replace("!", "%21").replace(":", "%3A")
    assert content["msgtype"] == "m.notice"
    assert content["body"].startswith("Unknown command '!incdent'. Did you mean '!incident'?"), content
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$typo1"}}

    listener.handle(ROOM, _line("!lead @bob:localhost", "$typo2"))
    assert "Did you mean '!incident lead'?" in fake.sent[-1][1]["body"]
    assert "Usage: !incident lead @user" in fake.sent[-1][1]["body"]

    for n, text in enumerate(("/var/log is full on db-2", "!shrug", "lead is fine")):
        listener.handle(ROOM, _line(text, f"$chat{n}"))
    assert len(fake.sent) == 2


def test_in_an_incident_room_the_line_still_joins_the_timeline(
        homeserver: tuple[Homeserver, str], listener: MatrixListener, runtime: Runtime, factory: Factory,
        clock: FakeClock) -> None:
    fake, _ = homeserver
    incident = factory.incident(factory.user("alice"), title="Search is down")
    with runtime.database.writing() as db:
        chat.ensure_room(db=db, platform="matrix", incident_id=incident.id, now=clock.now()).room_id = ROOM
    listener.handle(ROOM, _line("!incdent status resolved", "$typo3"))
    assert "Did you mean '!incident'?" in fake.sent[-1][1]["body"]
    with runtime.database.reading() as db:
        bodies = [e.body for e in timeline.list_entries(db=db, incident_id=incident.id, limit=100)]
    assert "!incdent status resolved" in bodies
