"""Slack's Socket Mode: Slack's requests arrive over a WebSocket Warroom opens, so no public URL is needed.

``apps.connections.open`` (with the app-level token, ``xapp-…``) gives a WebSocket URL good for one
connection. Slack then sends ``hello``, envelopes (``{"envelope_id", "type", "payload",
"accepts_response_payload"}`` of type ``slash_commands``, ``interactive`` or ``events_api``) and, before it closes
the connection, ``disconnect``. Each envelope is handled by the same functions as the HTTP routes
(``answers``) and acknowledged by its id within Slack's three seconds, with the answer the HTTP route would
give as its payload. After a ``disconnect`` Warroom asks for a new URL and reconnects at once; after a dropped
socket or a failed connection it waits first, longer each time (1, 2, 4 … 60 s), until Slack says hello again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from warroom.chat_inbound.slack import answers, inbound
from warroom.core.errors import WarroomError
from warroom.integrations.slack.client import SlackError, error_of

if TYPE_CHECKING:
    from warroom.runtime import Runtime

log = logging.getLogger("warroom.slack")

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 60.0
# What is still being answered when Slack asks to reconnect gets this long to be acknowledged.
FINISH_SECONDS = 3.0
APP_TOKEN_HINTS = {
    "invalid_auth": "Slack refused the app-level token; check WARROOM_SLACK_APP_TOKEN (xapp-…)",
    "not_allowed_token_type": "WARROOM_SLACK_APP_TOKEN must be the app-level token (xapp-…, scope "
                              "connections:write), not the bot token",
    "not_authed": "no app-level token was sent; set WARROOM_SLACK_APP_TOKEN",
}

Sleep = Callable[[float], Awaitable[None]]


def open_connection(api_url: str, app_token: str, timeout: int = 10) -> str:
    """A fresh WebSocket URL from apps.connections.open."""
    base = api_url if api_url.endswith("/") else api_url + "/"
    client = WebClient(token=app_token, base_url=base, timeout=timeout, retry_handlers=[])
    try:
        data = client.apps_connections_open(app_token=app_token).data
    except SlackApiError as error:
        failure = error_of("apps.connections.open", error)
        if failure.code in APP_TOKEN_HINTS:
            raise SlackError(f"Slack refused apps.connections.open: {failure.code} "
                             f"({APP_TOKEN_HINTS[failure.code]}).", code=failure.code, permanent=True) from None
        raise failure from None
    except (OSError, ValueError) as error:
        raise SlackError(f"Slack could not be reached for apps.connections.open: {type(error).__name__}") from error
    url = data.get("url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url.startswith(("wss://", "ws://")):
        raise SlackError("Slack's apps.connections.open answer has no WebSocket URL.")
    return url


def wait_before(failures: int) -> float:
    """Seconds to wait before connecting again after this many failures in a row."""
    if failures <= 0:
        return 0.0
    return float(min(FIRST_WAIT_SECONDS * 2 ** (failures - 1), LONGEST_WAIT_SECONDS))


Acknowledgement = tuple[dict[str, Any], tuple[answers.Note, ...]]


def answer_envelope(runtime: Runtime, message: dict[str, Any]) -> Acknowledgement:
    """Handle one envelope as the matching HTTP route would; the acknowledgement, and notes to send after it."""
    envelope_id = str(message["envelope_id"])
    kind, payload = message.get("type"), message.get("payload")
    ack: dict[str, Any] = {"envelope_id": envelope_id}
    if not isinstance(payload, dict):
        return ack, ()
    replay_key = f"socket-{envelope_id}"
    try:
        if kind == "slash_commands":
            answer = answers.command(runtime, inbound.command_of(payload), replay_key)
        elif kind == "interactive":
            answer = answers.interaction(runtime, inbound.interaction_of(payload), replay_key)
        elif kind == "events_api":
            answer = answers.event(runtime, inbound.event_of(payload))
        else:
            return ack, ()
    except WarroomError as error:  # a payload that is not what Slack documents: said, and not retried
        log.warning("Slack %s envelope %s refused: %s", kind, envelope_id, error.message)
        if kind == "slash_commands":
            ack["payload"] = {"response_type": "ephemeral", "text": error.message}
        return ack, ()
    if answer.body is not None and message.get("accepts_response_payload"):
        ack["payload"] = answer.body
    return ack, answer.notes


@dataclass
class SocketMode:
    """One Socket Mode client: connects, answers envelopes, reconnects, until cancelled."""

    runtime: Runtime
    app_token: str
    sleep: Sleep = asyncio.sleep
    connections: int = 0  # WebSocket connections opened so far
    waits: list[float] = field(default_factory=list)  # the waits before reconnecting, in order

    async def run(self) -> None:
        """Stay connected. Raises SlackError only when Slack refuses the app-level token (permanently)."""
        failures, asked = 0, 0.0
        while True:
            pause = max(wait_before(failures), asked)
            if pause:
                await self._wait(pause)
            try:
                url = await asyncio.to_thread(open_connection, self.runtime.settings.slack_api_url, self.app_token)
            except SlackError as error:
                if error.permanent:
                    raise
                log.warning("Slack Socket Mode: %s", error)
                failures, asked = failures + 1, error.retry_after or 0.0
                continue
            orderly = await self._session(url)
            failures, asked = (0 if orderly else failures + 1), 0.0

    async def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        log.info("Slack Socket Mode: connecting again in %.0f s", seconds)
        await self.sleep(seconds)

    async def _session(self, url: str) -> bool:
        """One connection; True when it ended as Slack asked (hello, then disconnect), so reconnect at once."""
        greeted = False
        pending: set[asyncio.Task[None]] = set()
        try:
            async with connect(url, open_timeout=10, max_size=2**22) as socket:
                self.connections += 1
                async for raw in socket:
                    message = _message(raw)
                    kind = message.get("type")
                    if kind == "hello":
                        greeted = True
                        log.info("Slack Socket Mode connected (%s connection(s) open)",
                                 message.get("num_connections", "?"))
                    elif kind == "disconnect":
                        log.info("Slack asked to reconnect (%s)", message.get("reason", "no reason given"))
                        if pending:
                            await asyncio.wait(pending, timeout=FINISH_SECONDS)
                        return greeted
                    elif message.get("envelope_id"):
                        task = asyncio.create_task(self._acknowledge(socket, message))
                        pending.add(task)
                        task.add_done_callback(pending.discard)
        except ConnectionClosed as closed:
            log.warning("Slack Socket Mode connection dropped: %s", closed)
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as error:
            log.warning("Slack Socket Mode could not connect: %s", error)
        return False

    async def _acknowledge(self, socket: ClientConnection, message: dict[str, Any]) -> None:
        try:
            ack, notes = await asyncio.to_thread(answer_envelope, self.runtime, message)
        except Exception:  # the same as a 500 over HTTP: not acknowledged, so Slack sends it again
            log.exception("Slack %s envelope %s failed", message.get("type"), message.get("envelope_id"))
            return
        try:
            await socket.send(json.dumps(ack))
        except ConnectionClosed:
            log.warning("Slack envelope %s handled but not acknowledged: the connection closed",
                        message.get("envelope_id"))
            return
        if notes:
            await asyncio.to_thread(answers.send_notes, self.runtime, notes)


def _message(raw: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class Running:
    """Socket Mode on a thread of its own (inside `warroom serve`)."""

    client: SocketMode
    thread: threading.Thread | None = None
    loop: asyncio.AbstractEventLoop | None = None
    task: asyncio.Task[None] | None = None
    started: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._main, name="warroom-slack-socket", daemon=True)
        self.thread.start()
        self.started.wait(timeout=5)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.started.set()
        try:
            await self.client.run()
        except SlackError as error:
            log.error("Slack Socket Mode stopped: %s", error)
        except asyncio.CancelledError:
            pass

    def stop(self) -> None:
        if self.loop is not None and self.task is not None:
            with suppress(RuntimeError):  # the loop has ended already
                self.loop.call_soon_threadsafe(self.task.cancel)
        if self.thread is not None:
            self.thread.join(timeout=5)


def check_tokens(runtime: Runtime) -> str | None:
    """What keeps Socket Mode from working with these settings, or None."""
    settings = runtime.settings
    if not settings.slack_app_token.startswith("xapp-"):
        return ("WARROOM_SLACK_APP_TOKEN must be the app-level token (xapp-…): Basic Information → App-Level "
                "Tokens → Generate, with the scope connections:write.")
    if not settings.slack_bot_token:
        return "Socket Mode needs the bot token too: set WARROOM_SLACK_BOT_TOKEN (xoxb-…)."
    return None


@contextmanager
def socket_mode(runtime: Runtime) -> Iterator[Running | None]:
    """For `warroom serve`: Socket Mode while the server runs, when WARROOM_SLACK_APP_TOKEN is set."""
    if not runtime.settings.slack_app_token:
        yield None
        return
    problem = check_tokens(runtime)
    if problem is not None:
        raise SystemExit(problem)
    running = Running(SocketMode(runtime, runtime.settings.slack_app_token))
    running.start()
    try:
        yield running
    finally:
        running.stop()
