"""Log lines as text or JSON (WARROOM_LOG_FORMAT), each carrying the id of the request it was written for.

The request id lives in a context variable set by the HTTP middleware; threads that serve a request (FastAPI's
thread pool) inherit it, so every line a request causes carries its id. The engine's lines carry none.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str] = ContextVar("warroom_request_id", default="")
# What an incoming X-Request-Id may be to be taken as it is (a proxy's id, a client's): short, plain characters.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
TEXT_FORMAT = "%(levelname)s:     %(name)s: %(message)s%(request_suffix)s"
# Attributes every LogRecord has: the rest were passed as ``extra`` and go into the JSON object as they are.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id", "request_suffix",
                                                    "color_message", "taskName"}


def request_id_for(incoming: str | None) -> str:
    """The caller's id when it is well-formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return f"{_PROCESS_PREFIX}{next(_REQUEST_NUMBERS):016x}"


# A new id is this process's random half and its request number (32 hex characters, like a UUID's hex): unique
# across processes and restarts, and made without a system call on every request (os.urandom per id was most of
# a small request's id cost).
_PROCESS_PREFIX = os.urandom(8).hex()
_REQUEST_NUMBERS = itertools.count(1)


def _new_process_prefix() -> None:
    """A forked worker (a server that forks after import) gets a half of its own."""
    global _PROCESS_PREFIX, _REQUEST_NUMBERS
    _PROCESS_PREFIX, _REQUEST_NUMBERS = os.urandom(8).hex(), itertools.count(1)


os.register_at_fork(after_in_child=_new_process_prefix)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (text lines end with ``request_id=…`` when there is one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        record.request_id = request_id
        record.request_suffix = f" request_id={request_id}" if request_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id, the record's extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each line to whatever ``sys.stderr`` is at that moment, as logging's own last resort does.

    A handler that keeps the stream it was made with writes to a closed file once that stream is replaced and
    closed (a test runner capturing output, a CLI run in-process, a daemon re-pointing stderr)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def log_config(log_format: str) -> dict[str, Any]:
    """A logging.config dict for Warroom's loggers and uvicorn's (uvicorn.Config's ``log_config``; as JSON, a file
    for ``uvicorn --log-config``: ``python -m warroom.observability.logging json > logging.json``)."""
    formatter: dict[str, Any] = ({"()": f"{__name__}.JsonFormatter"} if log_format == "json"
                                 else {"format": TEXT_FORMAT})
    handler = {"class": f"{__name__}.StderrHandler", "formatter": "warroom", "filters": ["request_id"]}
    quiet = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"warroom": formatter},
        "handlers": {"console": handler},
        "loggers": {"warroom": quiet, "uvicorn": quiet, "uvicorn.error": {"level": "INFO"},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
        # Other libraries from warnings up, in the same format. Not their INFO: httpx logs every request with
        # its URL there, and a webhook URL can carry a secret.
        "root": {"handlers": ["console"], "level": "WARNING"},
    }


def configure(log_format: str) -> None:
    """Set up the loggers now (for processes that run no uvicorn, and before uvicorn starts)."""
    import logging.config

    logging.config.dictConfig(log_config(log_format))


if __name__ == "__main__":
    import sys

    print(json.dumps(log_config(sys.argv[1] if len(sys.argv) > 1 else "text"), indent=2))
