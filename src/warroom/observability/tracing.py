"""Optional OpenTelemetry traces (WARROOM_OTEL_TRACES=true): a server span per HTTP request, named by its route
template, through the OpenTelemetry API.

Warroom depends on opentelemetry-api only. Spans go somewhere when the OpenTelemetry SDK is installed and a
tracer provider configured (``opentelemetry-instrument warroom serve`` from opentelemetry-distro, with the usual
OTEL_* variables); without the SDK the API's spans cost next to nothing and go nowhere, and start-up says so.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

log = logging.getLogger("warroom")


def sdk_installed() -> bool:
    return importlib.util.find_spec("opentelemetry.sdk") is not None


def tracer(enabled: bool) -> Any:
    """The tracer request spans are made with, or None when traces are off."""
    if not enabled:
        return None
    try:
        from opentelemetry import trace
    except ImportError:
        log.warning("WARROOM_OTEL_TRACES is on but opentelemetry-api is not installed: no traces")
        return None
    if not sdk_installed():
        log.warning("WARROOM_OTEL_TRACES is on but the OpenTelemetry SDK (opentelemetry-sdk) is not installed: "
                    "spans are made and dropped; install it and run under opentelemetry-instrument to export them")
    return trace.get_tracer("warroom")
