"""Request ids on every answer and every log line a request causes; JSON logs on request; the access log."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from warroom.api.app import create_app
from warroom.observability.logging import JsonFormatter, RequestIdFilter, request_id_for
from warroom.runtime import Runtime

from ..support import free_port, wait_until

STOP_LIMIT_SECONDS = 30


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the "warroom" loggers write, as JSON lines, while the test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("warroom")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def _app_logging_inside_a_request(runtime: Runtime) -> FastAPI:
    app = create_app(runtime, run_engine=False)

    def noisy() -> dict[str, str]:  # a sync route: FastAPI runs it in a worker thread
        logging.getLogger("warroom.test").warning("inside the request")
        return {"ok": "yes"}

    app.add_api_route("/test/noisy", noisy)
    return app


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(client: TestClient):
    assert client.get("/livez", headers={"X-Request-Id": "lb-7f3a.42"}).headers["x-request-id"] == "lb-7f3a.42"
    for bad in ("two words", "x" * 200, "<script>", ""):
        given = client.get("/livez", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert given != bad and len(given) == 32 and given.isalnum()
    first, second = (client.get("/livez").headers["x-request-id"] for _ in range(2))
    assert first != second


def test_every_line_a_request_causes_carries_its_id_and_the_access_log_names_the_route(runtime: Runtime,
                                                                                      json_lines):
    with TestClient(_app_logging_inside_a_request(runtime)) as client:
        answer = client.get("/test/noisy?secret=hunter2", headers={"X-Request-Id": "req-1"})
        client.get("/api/v1/incidents/INC-9")
    assert answer.headers["x-request-id"] == "req-1"
    lines = _lines(json_lines)
    inside = next(line for line in lines if line["message"] == "inside the request")
    assert (inside["request_id"], inside["logger"], inside["level"]) == ("req-1", "warroom.test", "warning")
    access = [line for line in lines if line["logger"] == "warroom.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access] == [
        ("GET", "/test/noisy", 200), ("GET", "/api/v1/incidents/{ref}", 401)]
    assert access[0]["request_id"] == "req-1" and access[0]["path"] == "/test/noisy"
    assert "hunter2" not in json_lines.getvalue()  # the query string is not logged


def test_warroom_serve_logs_json_with_request_ids_and_is_ready_once_its_engine_ticks(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_DATA_DIR=str(tmp_path / "data"), WARROOM_SEED_DEMO="false", WARROOM_LOG_FORMAT="json",
               WARROOM_ENGINE_TICK_SECONDS="0.2", COLUMNS="200")
    log_path = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "warroom.cli", "serve", "--port", str(port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"{base}/readyz") == 200, 60, what="warroom serve to be ready")
        assert httpx.get(f"{base}/readyz", headers={"X-Request-Id": "probe-1"}).status_code == 200
        metrics = httpx.get(f"{base}/metrics")  # no token set: open to this machine
        assert metrics.status_code == 200 and "warroom_engine_heartbeat_age_seconds" in metrics.text
    finally:
        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=STOP_LIMIT_SECONDS)
    text = log_path.read_text()
    assert returncode == 0, text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) == len([line for line in text.splitlines() if line.strip()]), text  # every line is JSON
    probe = [line for line in lines if line.get("request_id") == "probe-1"]
    assert [(p["logger"], p["route"], p["status"]) for p in probe] == [("warroom.access", "/readyz", 200)]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # uvicorn's own lines too


def _answers(url: str) -> int:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError:
        return 0


def test_an_answer_that_names_its_own_request_id_keeps_it_alone(client: TestClient, integration_keys):
    """Opsgenie's answers carry their requestId as X-Request-ID, as Opsgenie's do: one header, never two."""
    key = integration_keys.make("opsgenie")
    answer = client.post("/v2/alerts", json={"message": "Checkout fails"}, headers={
        "Authorization": f"GenieKey {key}", "X-Request-Id": "lb-1"})
    assert answer.status_code == 202
    assert answer.headers.get_list("x-request-id") == [answer.json()["requestId"]]


def test_new_request_ids_differ_from_request_to_request_and_from_process_to_process():
    made = [request_id_for(None) for _ in range(1000)]
    assert len(set(made)) == len(made)
    assert all(len(made_id) == 32 and set(made_id) <= set("0123456789abcdef") for made_id in made)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a worker forked after import makes ids of its own
        os.write(write, request_id_for(None).encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    forked = os.read(read, 64).decode()
    os.close(read)
    mine = request_id_for(None)
    assert len(forked) == 32 and forked[:16] != mine[:16] and forked not in made
