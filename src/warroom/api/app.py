"""The one ASGI app: REST API under /api/v1, the web UI, and (in `serve`) the engine thread."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from warroom import __version__
from warroom.api import openapi, problems
from warroom.api.compat import include_compat_routes, install_fast_path
from warroom.api.compat.common import too_large
from warroom.api.compat.grafana_oncall import register_grafana_oncall_urls
from warroom.api.inbound import twilio as twilio_inbound
from warroom.api.limits import BodySizeLimit
from warroom.api.routers import health, register_api
from warroom.api.routers.scim import register_scim
from warroom.engine import doorbell
from warroom.live.notify import listening
from warroom.observability.http import observe
from warroom.runtime import Runtime
from warroom.sso.providers import parse_providers
from warroom.web import include_web_routes, install_sign_in_handler
from warroom.web.api_docs import install_api_docs
from warroom.web.security_headers import StrictTransportSecurity
from warroom.web.statuspage import CachedStatusPages

log = logging.getLogger("warroom")
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"


def create_app(runtime: Runtime, *, run_engine: bool | None = None) -> FastAPI:
    start_engine = runtime.settings.run_engine if run_engine is None else run_engine
    parse_providers(runtime.settings.oidc_providers)  # a typo in WARROOM_OIDC_PROVIDERS stops start-up, said plainly

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stopper = None
        # Other processes' commits (PostgreSQL); on SQLite, this process's new jobs ring an engine of another.
        with listening(runtime.settings.resolved_listen_url()), doorbell.ringing(runtime.database.url):
            if start_engine:
                thread, stopper = runtime.engine().start_thread(runtime.settings.engine_tick_seconds)
            yield
        runtime.stop_committer()
        if stopper is not None:
            stopper.set()
            thread.join(timeout=5)

    app = FastAPI(
        title="Warroom",
        version=__version__,
        description="Self-hosted incident response. Errors are problem+json (RFC 9457).",
        lifespan=lifespan,
        docs_url=None,  # /api/docs is served from installed files, under our CSP (warroom.web.api_docs)
        redoc_url=None,
        # Warroom makes its own request spans and metrics (observability/http.py, WARROOM_OTEL_TRACES); FastAPI's
        # own would double them and, on by default, ask OpenTelemetry for its providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    problems.install(app)
    openapi.install(app)
    app.router.routes.extend(route_table())
    install_fast_path(app)
    install_sign_in_handler(app)
    register_scim(app)
    app.add_middleware(BodySizeLimit, max_bytes=runtime.settings.max_body_bytes, shapes=too_large)
    app.add_middleware(CachedStatusPages)
    if runtime.settings.base_url.lower().startswith("https://"):
        app.add_middleware(StrictTransportSecurity)
    observe(app, runtime.settings)  # outermost: request ids, the access log and HTTP metrics see every answer
    return app


@functools.cache
def route_table() -> tuple[BaseRoute, ...]:
    """Every route of the app, built once per process and shared by every app the process creates.

    FastAPI resolves an included router's routes (dependencies, request and response models) on the first
    request that reaches them, and keeps the result on the included router. Routes take the runtime from
    ``request.app.state``, never from where they were built, so one table serves every app: a second app (a
    test's, or ``warroom serve``'s after a reload) does not pay for that resolution again.
    """
    builder = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    builder.mount("/static", StaticFiles(directory=STATIC), name="static")
    include_compat_routes(builder)  # first: monitoring tools' ingest routes are matched before the rest
    builder.include_router(twilio_inbound.router)  # replies, keypresses and delivery status from Twilio
    register_grafana_oncall_urls(builder)  # Grafana OnCall's integration URLs, kept by the importer
    register_api(builder)
    include_web_routes(builder)
    install_api_docs(builder)
    health.register_probes(builder)  # /livez, /readyz, /metrics
    return tuple(builder.router.routes)
