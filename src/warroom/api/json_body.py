"""Every JSON request body the API reads goes through ``warroom.core.json_input``.

FastAPI reads a JSON body with ``Request.json()``; ``JsonBodyRoute`` hands its endpoint a request whose
``json()`` is Warroom's policy (strict UTF-8 JSON, depth-limited, no lone surrogates). A body it refuses is a
``json.JSONDecodeError``, which FastAPI turns into the ``json_invalid`` error that ``problems`` answers as
400 "Invalid JSON" with the reason and place. Every API router is built with ``route_class=JsonBodyRoute``;
``tests/api/test_json_policy.py`` checks that none is missed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from warroom.core import json_input

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class JsonBodyRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json_input.loads(await self.body())
        return self._json


class JsonBodyRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def with_json_policy(request: Request) -> Response:
            return await handler(JsonBodyRequest(request.scope, request.receive))

        return with_json_policy
