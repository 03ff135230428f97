"""A webhook receiver for the page benchmarks, in a process of its own (so it does not share the load
generator's interpreter): prints its port, then one line per page that arrives, "<monotonic time>\t<message>".

Run by bench.ingest_formats --pages; time.monotonic() is the same clock in every process on Linux.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_out = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps the connection open between pages, as web servers do

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        at = time.monotonic()
        message = str(body["alert"]["message"]).replace("\n", " ")
        with _out:
            sys.stdout.write(f"{at}\t{message}\n")
            sys.stdout.flush()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def main() -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.daemon_threads = True
    print(receiver.server_address[1], flush=True)
    receiver.serve_forever()


if __name__ == "__main__":
    main()
