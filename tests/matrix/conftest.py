"""A real Synapse for the session, its users, Warroom configured as its bot, and a person's view of the rooms."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from warroom.chat import service as chat
from warroom.chat_inbound.matrix.listener import MatrixListener
from warroom.config import Settings
from warroom.core.clock import FakeClock
from warroom.integrations.matrix.client import MatrixPlatform
from warroom.runtime import Runtime

from .. import support
from ..factories import Factory
from ..support import drain  # noqa: F401  (re-exported: tests import it from here)
from .synapse import SYNAPSE_PYTHON, Account, Synapse

ANNOUNCE_ALIAS = "announce-incidents"


@dataclass
class Homeserver:
    synapse: Synapse
    bot: Account
    alice: Account
    bob: Account
    eve: Account
    announce_room: str  # its id; the bot is configured with the alias

    @property
    def url(self) -> str:
        return self.synapse.url


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeserver]:
    if not SYNAPSE_PYTHON.exists():
        reason = f"Synapse is not installed at {SYNAPSE_PYTHON.parent.parent}: run `make synapse`"
        if os.environ.get("WARROOM_REQUIRE_SYNAPSE") == "1":
            pytest.fail(f"{reason} (WARROOM_REQUIRE_SYNAPSE=1)")
        pytest.skip(reason)
    synapse = Synapse(tmp_path_factory.mktemp("synapse"))
    synapse.start()
    try:
        accounts = {name: synapse.register(name) for name in ("warroom", "alice", "bob", "eve")}
        alice = Person(synapse.url, accounts["alice"])
        announce = alice.create_room(name="Incident announcements", alias=ANNOUNCE_ALIAS,
                                     invite=[accounts["warroom"].user_id])
        yield Homeserver(synapse, accounts["warroom"], accounts["alice"], accounts["bob"], accounts["eve"], announce)
    finally:
        synapse.stop()


@dataclass
class Person:
    """Someone in a Matrix client: what they send, and what they see."""

    url: str
    account: Account

    @property
    def user_id(self) -> str:
        return self.account.user_id

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, str] | None = None) -> dict[str, Any]:
        answer = httpx.request(method, f"{self.url}/_matrix/client/v3{path}", json=body, params=params, timeout=30,
                               headers={"Authorization": f"Bearer {self.account.access_token}"})
        assert answer.is_success, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def create_room(self, *, name: str, alias: str = "", invite: list[str] | None = None) -> str:
        body: dict[str, Any] = {"name": name, "preset": "public_chat", "invite": invite or []}
        if alias:
            body["room_alias_name"] = alias
        return str(self.call("POST", "/createRoom", body)["room_id"])

    def join(self, room: str) -> None:
        self.call("POST", f"/join/{quote(room, safe='')}", {})

    def send(self, room_id: str, text: str, *, reply_to: str = "") -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": text}
        if reply_to:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        path = f"/rooms/{quote(room_id, safe='')}/send/m.room.message/{secrets.token_hex(8)}"
        return str(self.call("PUT", path, content)["event_id"])

    def edit(self, room_id: str, event_id: str, text: str) -> str:
        new = {"msgtype": "m.text", "body": text}
        content = {**new, "body": f"* {text}", "m.new_content": new,
                   "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}}
        path = f"/rooms/{quote(room_id, safe='')}/send/m.room.message/{secrets.token_hex(8)}"
        return str(self.call("PUT", path, content)["event_id"])

    def react(self, room_id: str, event_id: str, key: str) -> str:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        path = f"/rooms/{quote(room_id, safe='')}/send/m.reaction/{secrets.token_hex(8)}"
        return str(self.call("PUT", path, content)["event_id"])

    def state(self, room_id: str, event_type: str) -> dict[str, Any]:
        return self.call("GET", f"/rooms/{quote(room_id, safe='')}/state/{event_type}/")

    def messages(self, room_id: str) -> list[dict[str, Any]]:
        """The room's m.room.message events, oldest first."""
        data = self.call("GET", f"/rooms/{quote(room_id, safe='')}/messages",
                         params={"dir": "b", "limit": "200"})
        events = [e for e in data["chunk"] if e["type"] == "m.room.message"]
        return list(reversed(events))

    def invites(self) -> list[str]:
        data = self.call("GET", "/sync", params={"timeout": "0"})
        return list(data.get("rooms", {}).get("invite", {}))


def current_text(messages: list[dict[str, Any]], event_id: str) -> str:
    """What a client shows for a message: its latest m.replace edit's text, else its own."""
    text = next(m["content"]["body"] for m in messages if m["event_id"] == event_id)
    for message in messages:
        relates = message["content"].get("m.relates_to", {})
        if relates.get("rel_type") == "m.replace" and relates.get("event_id") == event_id:
            text = message["content"]["m.new_content"]["body"]
    return str(text)


def own_messages(messages: list[dict[str, Any]], sender: str) -> list[dict[str, Any]]:
    """A sender's messages that are not edits of others."""
    return [m for m in messages if m["sender"] == sender
            and m["content"].get("m.relates_to", {}).get("rel_type") != "m.replace"]


@pytest.fixture
def settings(settings: Settings, homeserver: Homeserver) -> Settings:
    return settings.model_copy(update={
        "matrix_homeserver": homeserver.url, "matrix_user_id": homeserver.bot.user_id,
        "matrix_access_token": homeserver.bot.access_token,
        "matrix_announce_room": f"#{ANNOUNCE_ALIAS}:localhost"})


@dataclass
class People:
    alice: Any
    bob: Any
    alice_matrix: Person
    bob_matrix: Person
    eve_matrix: Person


@pytest.fixture
def people(factory: Factory, runtime: Runtime, clock: FakeClock, homeserver: Homeserver) -> People:
    from warroom.accounts.models import AccessRole

    alice, bob = support.people(factory, {"alice": AccessRole.admin, "bob": ()}).values()
    with runtime.database.writing() as db:
        for user, account in ((alice, homeserver.alice), (bob, homeserver.bob)):
            chat.link_person(db=db, platform="matrix", person_id=account.user_id, user=user, linked_by="manual",
                             now=clock.now())
    return People(alice, bob, Person(homeserver.url, homeserver.alice), Person(homeserver.url, homeserver.bob),
                  Person(homeserver.url, homeserver.eve))


@pytest.fixture
def bot(runtime: Runtime) -> MatrixPlatform:
    platform = runtime.chat_platform("matrix", MatrixPlatform)
    assert platform is not None
    return platform


@pytest.fixture
def listener(runtime: Runtime, bot: MatrixPlatform, clock: FakeClock) -> MatrixListener:
    """The bot's listener, past the history: its first sync only takes the position (and joins invites)."""
    started = MatrixListener(runtime.database, bot, clock)
    started.sync_once(timeout_ms=0)
    return started


def heard(listener: MatrixListener) -> int:
    """One sync after a person acted: their events are on the homeserver already, so it answers at once."""
    return listener.sync_once(timeout_ms=5000)


