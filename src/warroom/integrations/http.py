"""One pooled HTTP client for every outbound call: TLS set-up and connections are reused, not rebuilt."""

from __future__ import annotations

import threading

import httpx

_lock = threading.Lock()
_client: httpx.Client | None = None


def client() -> httpx.Client:
    global _client
    with _lock:
        if _client is None or _client.is_closed:
            _client = httpx.Client(timeout=10.0, follow_redirects=False,
                                   limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                                   headers={"user-agent": "Warroom"})
        return _client
