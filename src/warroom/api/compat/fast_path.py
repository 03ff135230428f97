"""The event endpoints monitoring tools post to, answered ahead of the router.

Alertmanager, Prometheus, Grafana and friends send events in bursts, and every event waits for its commit.
These few POST routes are matched on their exact path here and handed straight to their endpoint function
(the same function the router and the OpenAPI document know), skipping route matching over the whole API and
dependency resolution. Errors go through the app's own exception handlers, so answers are the same either way.
A route with path parameters (an Opsgenie close by alias, a heartbeat ping) is matched on its template's own
pattern (Starlette's), its parameters in the scope as the router puts them, and is labelled with its template.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.observability.http import ROUTE_TEMPLATE

Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


class IngestFastPath:
    def __init__(self, app: ASGIApp, owner: FastAPI, routes: dict[str, Endpoint],
                 templates: dict[str, Endpoint] | None = None) -> None:
        self.app = app
        self.owner = owner
        self.routes = routes
        # Templates ("/v2/alerts/{identifier}/close"): the pattern the router would match them with.
        self.patterns = [(compile_path(template)[0], template, endpoint)
                         for template, endpoint in (templates or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope) if scope["type"] == "http" and scope["method"] == "POST" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        endpoint, scope[ROUTE_TEMPLATE] = found
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = self._handler_for(error)
            if handler is None:
                raise
            answer = handler(request, error)
            response = await answer if inspect.isawaitable(answer) else answer
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[Endpoint, str] | None:
        """The endpoint for this POST and the route template it is labelled with; None: the router's."""
        path: str = scope["path"]
        endpoint = self.routes.get(path)
        if endpoint is not None:
            return endpoint, path  # an exact path: it is its own template
        for pattern, template, endpoint in self.patterns:
            matched = pattern.match(path)
            if matched is not None:
                scope["path_params"] = {**scope.get("path_params", {}), **matched.groupdict()}
                return endpoint, template
        return None

    def _handler_for(self, error: Exception) -> Handler | None:
        """The app's handler for this error, found as Starlette finds it (the nearest class in the MRO)."""
        for kind in type(error).__mro__:
            handler = self.owner.exception_handlers.get(kind)
            if handler is not None:
                return handler
        return None
