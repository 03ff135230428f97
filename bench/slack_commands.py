"""How fast Warroom answers Slack: signed slash commands and the declare form, against a real server.

    .venv/bin/python -m bench.slack_commands [--requests 500] [--database-url URL]

Slack gives an app 3 seconds; the target (issue 6) is p99 < 300 ms. Each request is signed as Slack signs
it and sent one at a time (Slack sends one per person typing). A local stand-in for Slack's Web API answers
users.info (the first command of each person) and views.open (the form); the engine is off, so the figures
are the answer alone, with the channel work left queued.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from bench.harness import fresh_store, machine, server, summary
from warroom.chat import service as chat
from warroom.chat_inbound.slack.inbound import sign
from warroom.incidents import flows
from warroom.runtime import Runtime

SECRET = "bench-signing-secret"
ROOM = "CBENCHROOM"
PEOPLE = {"UALICE": "alice@example.com", "UBOB": "bob@example.com"}


class FakeSlackApi(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length).decode()
        args: dict[str, Any] = (json.loads(raw) if self.headers.get("content-type", "").startswith("application/json")
                                else {k: v[0] for k, v in parse_qs(raw).items()})
        method = self.path.rsplit("/", 1)[-1]
        body: dict[str, Any] = {"ok": True}
        if method == "users.info":
            body["user"] = {"id": args.get("user"), "profile": {"email": PEOPLE.get(str(args.get("user")), "")}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_slack(handler: type[BaseHTTPRequestHandler] = FakeSlackApi) -> Iterator[str]:
    api = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{api.server_address[1]}/api/"
    finally:
        api.shutdown()


def incident_room(runtime: Runtime) -> None:
    """An incident whose Slack channel is ROOM, as if the engine had created it."""
    from warroom.accounts import service as accounts
    from warroom.core.actor import Actor

    with runtime.database.writing() as db:
        alice = accounts.find_person(db=db, who="alice")
        actor = Actor(alice.id, alice.handle, alice.access_role, "bench", runtime.clock)
        incident = flows.declare_incident(db=db, actor=actor, title="Bench incident", severity="major").incident
        db.flush()
        room = chat.ensure_room(db=db, platform="slack", incident_id=incident.id, now=runtime.clock.now())
        room.room_id = ROOM


def signed_post(http: httpx.Client, path: str, fields: dict[str, str]) -> float:
    body = urlencode(fields).encode()
    timestamp = str(int(time.time()))
    headers = {"content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp,
               "x-slack-signature": sign(SECRET, timestamp, body)}
    start = time.perf_counter()
    response = http.post(f"/api/v1/integrations/slack/{path}", content=body, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200 or b"errors" in response.content:
        raise SystemExit(f"{path} {fields}: HTTP {response.status_code} {response.text}")
    return elapsed


def command(http: httpx.Client, user: str, text: str, channel: str, n: int, slash: str = "/incident") -> float:
    return signed_post(http, "commands", {"command": slash, "text": text, "user_id": user, "channel_id": channel,
                                          "team_id": "T1", "trigger_id": f"1.2.{n}",
                                          "response_url": "https://hooks.slack.com/x"})


def submit_declare(http: httpx.Client, user: str, n: int) -> float:
    """The declare form submitted (view_submission): declares an incident."""
    values = {"description": {"value": {"type": "plain_text_input", "value": f"Bench outage {n}\nDetails."}},
              "severity": {"value": {"type": "radio_buttons", "selected_option": {"value": "major"}}},
              "flags": {"value": {"type": "checkboxes", "selected_options": []}}}
    payload = {"type": "view_submission", "user": {"id": user}, "trigger_id": f"9.9.{n}",
               "view": {"id": f"V{n}", "callback_id": "warroom_declare", "private_metadata": "CGENERAL",
                        "state": {"values": values}}}
    return signed_post(http, "interactivity", {"payload": json.dumps(payload)})


CASES = [
    ("/incident (opens the form: views.open)", "/incident", "", "CGENERAL"),
    ("/incident help", "/incident", "help", "CGENERAL"),
    ("/genie whoisoncall", "/genie", "whoisoncall", "CGENERAL"),
    ("/incident update <text> in the channel (a write)", "/incident", "update still digging {n}", ROOM),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    store_name = "postgresql" if args.database_url else "sqlite"
    import os

    with fake_slack() as api_url, fresh_store(args.database_url) as store:
        os.environ.update(WARROOM_SLACK_BOT_TOKEN="xoxb-bench", WARROOM_SLACK_SIGNING_SECRET=SECRET,
                          WARROOM_SLACK_API_URL=api_url)
        incident_room(store.runtime)
        with server(store) as base, httpx.Client(base_url=base, timeout=10) as http:
            command(http, "UALICE", "help", "CGENERAL", 0)  # first contact: users.info, then the link is kept
            for label, slash, text, channel in CASES:
                for n in range(20):  # warm-up
                    command(http, "UALICE", text.format(n=n), channel, n, slash)
                latencies = [command(http, "UALICE", text.format(n=n), channel, n, slash)
                             for n in range(args.requests)]
                print(f"{store_name} {label}: {summary(latencies)}")
            latencies = [submit_declare(http, "UALICE", n) for n in range(min(args.requests, 200))]
            print(f"{store_name} declare form submitted (view_submission, a declare): {summary(latencies)}")


if __name__ == "__main__":
    main()
