"""Socket Mode: Slack's envelopes over a WebSocket Warroom opens, acknowledged by id, handled like the HTTP routes.

A local WebSocket server stands in for Slack's: apps.connections.open (on the fake Web API) hands out its URL with
a new ticket each time, and the test plays Slack on each connection — hello, envelopes, disconnect, a drop.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner
from websockets.sync.server import Server, ServerConnection, serve

from warroom.chat_inbound.slack.socket_mode import Running, SocketMode
from warroom.config import Settings
from warroom.core.clock import FakeClock
from warroom.incidents.models import Incident
from warroom.integrations.slack.client import SlackError
from warroom.runtime import Runtime
from warroom.timeline.models import EntryKind, TimelineEntry

from .conftest import APP_TOKEN, GENERAL_ID, FakeSlack, People, drain

WAIT = 20  # seconds an expected message may take to arrive before the test fails


@dataclass
class Link:
    """One client connection, as Slack's end of it."""

    socket: ServerConnection
    path: str
    done: threading.Event = field(default_factory=threading.Event)

    def send(self, message: dict[str, Any]) -> None:
        self.socket.send(json.dumps(message))

    def receive(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.socket.recv(timeout=WAIT))
        return value

    def drop(self) -> None:
        """The network goes away: no closing handshake."""
        self.socket.socket.close()
        self.done.set()


@dataclass
class FakeSocketServer:
    server: Server
    links: queue.Queue[Link] = field(default_factory=queue.Queue)
    every: list[Link] = field(default_factory=list)

    def accept(self) -> Link:
        return self.links.get(timeout=WAIT)


@pytest.fixture
def socket_server(slack: FakeSlack) -> Iterator[FakeSocketServer]:
    holder: list[FakeSocketServer] = []

    def handler(socket: ServerConnection) -> None:
        link = Link(socket, socket.request.path if socket.request else "")
        holder[0].every.append(link)
        holder[0].links.put(link)
        link.done.wait(timeout=120)

    server = serve(handler, "127.0.0.1", 0)
    fake = FakeSocketServer(server)
    holder.append(fake)
    slack.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    for link in fake.every:
        link.done.set()
    server.shutdown()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"slack_app_token": APP_TOKEN})


async def no_wait(seconds: float) -> None:
    return None


@pytest.fixture
def client(runtime: Runtime, socket_server: FakeSocketServer) -> Iterator[SocketMode]:
    socket_mode = SocketMode(runtime, APP_TOKEN, sleep=no_wait)
    running = Running(socket_mode)
    running.start()
    yield socket_mode
    running.stop()


HELLO = {"type": "hello", "num_connections": 1, "debug_info": {"host": "applink-1", "build_number": 10,
                                                                "approximate_connection_time": 18060},
         "connection_info": {"app_id": "A123456"}}


def _command(envelope_id: str, user: str, text: str, channel: str = GENERAL_ID) -> dict[str, Any]:
    return {"envelope_id": envelope_id, "type": "slash_commands", "accepts_response_payload": True,
            "payload": {"token": "x", "team_id": "T0001", "team_domain": "acme", "channel_id": channel,
                        "channel_name": "general", "user_id": user, "user_name": user.lower(),
                        "command": "/incident", "text": text, "api_app_id": "A123456", "is_enterprise_install":
                        "false", "response_url": "https://hooks.slack.com/commands/T0001/1/x",
                        "trigger_id": f"1.2.{envelope_id}"}}


def _message(envelope_id: str, user: str, channel: str, text: str, ts: str) -> dict[str, Any]:
    return {"envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
            "retry_attempt": 0, "retry_reason": "",
            "payload": {"token": "x", "team_id": "T0001", "api_app_id": "A123456", "type": "event_callback",
                        "event_id": f"Ev{envelope_id}", "event_time": 1767600000,
                        "event": {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                                  "event_ts": ts, "channel_type": "channel"}}}


def _incident(runtime: Runtime) -> Incident:
    with runtime.database.reading() as db:
        incident = db.scalar(sa.select(Incident).order_by(Incident.id.desc()))
        assert incident is not None
        db.expunge(incident)
        return incident


def test_envelopes_are_acknowledged_by_id_and_handled_like_the_http_routes_across_reconnects(
        people: People, slack: FakeSlack, socket_server: FakeSocketServer, client: SocketMode, runtime: Runtime,
        clock: FakeClock) -> None:
    first = socket_server.accept()
    assert first.path == "/link/?ticket=1"
    first.send(HELLO)
    first.send(_command("env-1", "UALICE", "declare Search is down --severity critical"))
    assert first.receive() == {"envelope_id": "env-1", "payload": {
        "response_type": "in_channel", "text": "Declared INC-1 (critical): Search is down"}}
    drain(runtime, clock)
    room = slack.channel_named("inc-1-search-is-down")
    assert room.topic == "Critical · investigating · no lead yet"

    first.send(_message("env-2", "UBOB", room.id, "Shard 7 is read-only", "1767600100.000200"))
    assert first.receive() == {"envelope_id": "env-2"}
    with runtime.database.reading() as db:
        said = db.execute(sa.select(TimelineEntry.body, TimelineEntry.actor_id).where(
            TimelineEntry.kind == EntryKind.message)).all()
    assert [tuple(row) for row in said] == [("Shard 7 is read-only", people.bob.id)]

    first.send({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-1"}})
    second = socket_server.accept()  # a fresh URL, at once
    assert second.path == "/link/?ticket=2" and client.waits == []
    second.send(HELLO)
    second.send(_command("env-3", "UALICE", ""))  # the declare form opens; nothing to say
    assert second.receive() == {"envelope_id": "env-3"}
    [view] = slack.views
    values = {"description": {"value": {"type": "plain_text_input", "value": "Checkout is slow"}},
              "severity": {"value": {"type": "radio_buttons", "selected_option": {"value": "major"}}},
              "flags": {"value": {"type": "checkboxes", "selected_options": []}}}
    second.send({"envelope_id": "env-4", "type": "interactive", "accepts_response_payload": True, "payload": {
        "type": "view_submission", "team": {"id": "T0001"}, "user": {"id": "UALICE"}, "api_app_id": "A123456",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"], "state": {"values": values}}}})
    submitted = second.receive()
    assert submitted["envelope_id"] == "env-4" and submitted["payload"]["response_action"] == "update"
    assert _incident(runtime).title == "Checkout is slow"

    second.drop()
    third = socket_server.accept()  # after a wait this time
    assert third.path == "/link/?ticket=3" and client.waits == [1.0]
    third.send(HELLO)
    third.send(_command("env-1", "UALICE", "declare Search is down --severity critical"))  # Slack's retry
    assert third.receive()["payload"]["text"] == "This request was already handled."
    third.send({"envelope_id": "env-5", "type": "slash_commands", "accepts_response_payload": True,
                "payload": {"command": "/deploy", "user_id": "UALICE", "text": ""}})
    refused = third.receive()
    assert refused["envelope_id"] == "env-5" and "Unknown slash command" in refused["payload"]["text"]
    assert slack.count("apps.connections.open") == 3
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(Incident)) == 2


async def _run(socket_mode: SocketMode) -> None:
    await socket_mode.run()


def test_a_refused_app_token_stops_with_what_to_fix(people: People, slack: FakeSlack, runtime: Runtime) -> None:
    import asyncio

    with pytest.raises(SlackError, match="WARROOM_SLACK_APP_TOKEN"):
        asyncio.run(_run(SocketMode(runtime, "xapp-1-wrong", sleep=no_wait)))


def test_socket_mode_on_the_command_line_checks_its_tokens(runtime: Runtime) -> None:
    from warroom.cli.main import app
    from warroom.config import get_settings

    env = {"WARROOM_DATABASE_URL": runtime.settings.resolved_database_url(), "WARROOM_SEED_DEMO": "false",
           "WARROOM_DATA_DIR": str(runtime.settings.data_dir), "WARROOM_SECRET_KEY": "test-secret-key",
           "WARROOM_SLACK_APP_TOKEN": "xoxb-not-an-app-token", "WARROOM_SLACK_BOT_TOKEN": "xoxb-1"}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["slack", "socket"], env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1 and "app-level token (xapp-…)" in result.output


def test_the_socket_mode_manifest_names_no_url() -> None:
    from warroom.cli.main import app

    result = CliRunner().invoke(app, ["slack", "manifest", "--socket-mode"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.output)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in json.dumps(manifest).replace("usage_hint", "")
    assert manifest["settings"]["interactivity"] == {"is_enabled": True}
    assert manifest["settings"]["event_subscriptions"]["bot_events"]
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/incident", "/genie"]


def test_serve_connects_by_itself_when_the_app_token_is_set(
        people: People, slack: FakeSlack, socket_server: FakeSocketServer, runtime: Runtime) -> None:
    from warroom.chat_inbound.slack.socket_mode import socket_mode

    with socket_mode(runtime) as running:
        assert running is not None
        link = socket_server.accept()
        link.send(HELLO)
        link.send(_command("env-9", "UBOB", "help"))
        answer = link.receive()
        assert answer["envelope_id"] == "env-9" and "/incident lead" in answer["payload"]["text"]
    runtime.settings = runtime.settings.model_copy(update={"slack_app_token": ""})
    with socket_mode(runtime) as nothing:
        assert nothing is None
    runtime.settings = runtime.settings.model_copy(update={"slack_app_token": "xoxp-user-token"})
    with pytest.raises(SystemExit, match="app-level token"), socket_mode(runtime):
        pass
