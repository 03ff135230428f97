"""One small HTTP server on 127.0.0.1 for the fakes of outside services (GitHub, Slack, Twilio, webhook receivers).

It records every request and answers what the fake's ``respond`` function says; the fake keeps the service's
behaviour, this keeps the sockets and threads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def form(self, *, keep_blank: bool = True) -> dict[str, str]:
        """A form-encoded body, each field's first value."""
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=keep_blank).items()}


@dataclass
class Reply:
    status: int = 200
    body: Any = b""  # bytes go as they are; anything else as JSON
    headers: dict[str, str] = field(default_factory=dict)


Respond = Callable[[Request], Reply]


@dataclass
class RecordingServer:
    url: str  # http://127.0.0.1:<port> and the path given
    requests: list[Request] = field(default_factory=list)


def _handler(server: RecordingServer, respond: Respond) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                              self.rfile.read(length) if length else b"")
            server.requests.append(request)
            reply = respond(request)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                if not isinstance(reply.body, bytes):
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client went away (a killed process, a timeout): nothing to answer

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815  (http.server's names)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def http_server(respond: Respond, *, path: str = "", host: str = "127.0.0.1") -> Iterator[RecordingServer]:
    """A recording server answering with ``respond`` on ``host``, running until the block ends."""
    recording = RecordingServer(url="")
    httpd = ThreadingHTTPServer((host, 0), _handler(recording, respond))
    recording.url = f"http://{host}:{httpd.server_address[1]}{path}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield recording
    finally:
        httpd.shutdown()
        httpd.server_close()
