"""Refuse request bodies over the configured size before they are read into memory.

The refusal is problem+json, except on paths whose callers expect their own error shape (the PagerDuty and
Opsgenie doors): ``shapes`` gives their answer for a path, or None for the API's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised while a body streams in past the limit; an HTTPException so FastAPI's body parser re-raises it."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is over {max_bytes} bytes; send less.")


# The refusal a caller understands: (content type, body, extra headers) for a path and the limit, or None for
# problem+json.
Refusal = tuple[str, bytes, dict[str, str]]
RefusalShapes = Callable[[str, int], Refusal | None]


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, shapes: RefusalShapes | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.shapes = shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        seen = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            """Passes the app's answer on; the app's own 413 for a body found too large becomes the refusal."""
            nonlocal started, refused
            if message["type"] == "http.response.start":
                started = True
                if seen > self.max_bytes and message["status"] == 413 and self.shapes is not None:
                    refused = True
                    await self._refuse(scope, send)
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        shaped = self.shapes(scope.get("path", ""), self.max_bytes) if self.shapes is not None else None
        content_type, body, extra = shaped or ("application/problem+json", json.dumps({
            "type": "about:blank", "title": "Request too large", "status": 413,
            "detail": f"The request body is over {self.max_bytes} bytes; send less.",
        }).encode(), {})
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra.items()]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
