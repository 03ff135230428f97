"""The OpenAPI document, with the answers that every operation of a kind can give documented once, here.

Routes document what their own code answers (404 for a missing incident, 409 for a state conflict). What the
app answers around them is added here, so no route can forget it and the document matches what is sent:

- 400 (invalid JSON), 413 (body over the size limit) and 415 (a body that is not JSON) for operations that
  read a JSON body into a model, as FastAPI does before the route runs;
- 413 for every other operation that takes a body (the size limit holds for all of them);
- 503 with Retry-After for every /api/v1 operation (the store is down; nothing was written).

The compatibility surfaces (/v2/…) keep their own answers, in their own shapes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

API_PATHS = "/api/"
SHARED = {
    400: "Bad request: the body is not valid JSON (the detail says what and where)",
    413: "Request body too large",
    415: "Unsupported media type: send the body as JSON with 'Content-Type: application/json'",
    503: "Database unavailable; nothing was written. Retry after Retry-After seconds",
}


def install(app: FastAPI) -> None:
    build = app.openapi

    def documented() -> dict[str, Any]:
        document = build()
        add_shared_answers(document)
        return document

    app.openapi = documented  # type: ignore[method-assign]  # FastAPI's documented way to extend the document


def add_shared_answers(document: dict[str, Any]) -> None:
    """Add the answers the app gives around the routes (idempotent: the document is cached and built once)."""
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            for status in _shared_statuses(path, operation):
                operation["responses"].setdefault(str(status), _answer(status))


def _shared_statuses(path: str, operation: dict[str, Any]) -> list[int]:
    body = operation.get("requestBody")
    statuses = [413] if body else []
    if body and _reads_a_model(body):
        statuses += [400, 415]
    if path.startswith(API_PATHS):
        statuses.append(503)
    return statuses


def _reads_a_model(body: dict[str, Any]) -> bool:
    """A JSON body FastAPI validates into a model (its schema refers to one); raw-body routes describe theirs."""
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    return "$ref" in str(schema)


def _answer(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": SHARED[status], "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}}}
    if status == 503:
        answer["headers"] = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                             "schema": {"type": "integer"}}}
    return answer
