"""Log lines go to the stderr of the moment: a stream swapped in and closed since set-up is never written to."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from warroom.observability import logging as warroom_logging


@pytest.fixture
def restored_loggers() -> Iterator[None]:
    names = ("warroom", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).propagate, logging.getLogger(n).level)
             for n in names}
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate, logger.level = handlers, propagate, level


def test_a_line_logged_after_stderr_was_replaced_goes_to_the_new_stderr(restored_loggers, monkeypatch):
    captured_at_setup = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured_at_setup)  # as a CLI run in-process, or a test runner, does
    warroom_logging.configure("text")
    captured_at_setup.close()  # that run ended
    now = io.StringIO()
    monkeypatch.setattr(sys, "stderr", now)
    logging.getLogger("warroom.access").info("GET /livez 200")
    assert "GET /livez 200" in now.getvalue()
    assert "Logging error" not in now.getvalue()
