"""HTTP Strict Transport Security on every answer when Warroom is served over https.

Added by create_app only when WARROOM_BASE_URL is https: a browser that has seen it once refuses plain http
to this host (and its subdomains) for a year, so a network attacker cannot strip TLS from a later visit.
Over plain http the header would mean nothing (browsers ignore it there) and is not sent.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


class StrictTransportSecurity:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"strict-transport-security"]
                headers.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)
