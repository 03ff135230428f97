"""How fast Warroom acknowledges Slack in Socket Mode: envelope sent → acknowledgement received.

    .venv/bin/python -m bench.slack_socket [--requests 500] [--database-url URL]

Slack wants each envelope acknowledged within 3 seconds; the target is the HTTP routes' p99 < 300 ms. A local
WebSocket server plays Slack's end of the connection (apps.connections.open on a local stand-in for the Web
API hands out its URL) and sends one envelope at a time; the engine is off, so the figures are the answer
alone, with the channel work left queued.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time
from typing import Any

from websockets.sync.server import ServerConnection, serve

from bench.harness import fresh_store, machine, summary
from bench.slack_commands import ROOM, FakeSlackApi, fake_slack, incident_room
from warroom.chat_inbound.slack.socket_mode import Running, SocketMode

APP_TOKEN = "xapp-1-bench"


class FakeSlackWithSockets(FakeSlackApi):
    socket_url = ""

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        if self.path.endswith("apps.connections.open"):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            data = json.dumps({"ok": True, "url": self.socket_url}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        super().do_POST()


def envelope(n: int, user: str, text: str, channel: str) -> dict[str, Any]:
    return {"envelope_id": f"bench-{n}-{time.monotonic_ns()}", "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {"command": "/incident", "text": text, "user_id": user, "channel_id": channel,
                        "team_id": "T1", "trigger_id": f"1.2.{n}", "response_url": "https://hooks.slack.com/x"}}


CASES = [
    ("/incident help", "help", "CGENERAL"),
    ("/incident update <text> in the channel (a write)", "update still digging {n}", ROOM),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    store_name = "postgresql" if args.database_url else "sqlite"
    links: queue.Queue[ServerConnection] = queue.Queue()
    finished = threading.Event()

    def handler(socket: ServerConnection) -> None:
        links.put(socket)
        finished.wait()

    with serve(handler, "127.0.0.1", 0) as ws_server:
        threading.Thread(target=ws_server.serve_forever, daemon=True).start()
        FakeSlackWithSockets.socket_url = f"ws://127.0.0.1:{ws_server.socket.getsockname()[1]}/link"
        with fake_slack(FakeSlackWithSockets) as api_url, fresh_store(args.database_url) as store:
            store.runtime.settings = store.runtime.settings.model_copy(update={
                "slack_bot_token": "xoxb-bench", "slack_api_url": api_url, "slack_app_token": APP_TOKEN})
            incident_room(store.runtime)
            running = Running(SocketMode(store.runtime, APP_TOKEN))
            running.start()
            socket = links.get(timeout=30)
            socket.send(json.dumps({"type": "hello", "num_connections": 1}))

            def ack(n: int, text: str, channel: str) -> float:
                start = time.perf_counter()
                socket.send(json.dumps(envelope(n, "UALICE", text, channel)))
                json.loads(socket.recv(timeout=10))
                return (time.perf_counter() - start) * 1000

            ack(0, "help", "CGENERAL")  # first contact: users.info, then the link is kept
            for label, text, channel in CASES:
                for n in range(20):
                    ack(n, text.format(n=n), channel)
                latencies = [ack(n, text.format(n=n), channel) for n in range(args.requests)]
                print(f"{store_name} socket mode {label}: {summary(latencies)}")
            finished.set()
            running.stop()


if __name__ == "__main__":
    main()
