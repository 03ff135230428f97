"""Errors as problem+json (RFC 9457) for the API; a plain page for the browser."""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from warroom.core.errors import ChecklistIncomplete, WarroomError
from warroom.db import faults

log = logging.getLogger("warroom.api")
PROBLEM = "application/problem+json"
STORE_RETRY_AFTER = 5
BROWSER_PREFIXES = ("/api/", "/v2/", "/openapi.json", "/docs")


def wants_problem(request: Request) -> bool:
    return request.url.path.startswith(BROWSER_PREFIXES) or "text/html" not in request.headers.get("accept", "")


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def error_page(status: int, title: str, detail: str) -> HTMLResponse:
    t, d = html.escape(title), html.escape(detail)
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{t}</title><link rel='stylesheet' href='/static/warroom.css'></head>"
        f"<body><main class='narrow'><h1>{t}</h1><p class='error'>{d}</p>"
        "<p><a href='/'>Back to the dashboard</a></p></main></body></html>"
    )
    return HTMLResponse(page, status_code=status)


def render_error(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    if wants_problem(request):
        return problem(status, title, detail, **extra)
    return error_page(status, title, detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(WarroomError)
    async def _domain(request: Request, error: WarroomError) -> Response:
        extra: dict[str, Any] = {}
        if error.field:
            extra["field"] = error.field
        if error.hint:
            extra["usage"] = error.hint
        if isinstance(error, ChecklistIncomplete):
            extra["missing"] = error.missing
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        response = render_error(request, error.status, error.title, error.message, **extra)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e.get("msg", "")}
            for e in error.errors()
        ]
        invalid = next((e for e in error.errors() if e.get("type") == "json_invalid"), None)
        if invalid is not None:
            return _invalid_json(request, invalid)
        content_type = request.headers.get("content-type", "")
        if request.method in ("POST", "PUT", "PATCH") and "json" not in content_type and _body_not_object(error):
            return render_error(request, 415, "Unsupported media type",
                                f"Send the body as JSON with 'Content-Type: application/json' "
                                f"(got '{content_type or 'none'}').", errors=errors)
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        return render_error(request, 422, "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        title = titles.get(error.status_code, "Error")
        return render_error(request, error.status_code, title, str(error.detail))

    @app.exception_handler(DBAPIError)
    async def _store_outage(request: Request, error: DBAPIError) -> Response:
        if not is_outage(error):
            return await _unexpected(request, error)
        faults.outages.failed(error, f"{request.method} {request.url.path}")
        response = render_error(request, 503, "Service unavailable",
                                "The database is not answering; nothing was written. Try again shortly.")
        response.headers["Retry-After"] = str(STORE_RETRY_AFTER)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render_error(request, 500, "Internal error",
                            "Something went wrong on our side; nothing was half-written. The error is logged.")


def _invalid_json(request: Request, invalid: dict[str, Any]) -> Response:
    """400 naming what is wrong with the JSON and where (warroom.core.json_input's reason)."""
    reason = str((invalid.get("ctx") or {}).get("error") or "")
    detail = f"The request body is not valid JSON: {reason}." if reason else "The request body is not valid JSON."
    return render_error(request, 400, "Invalid JSON", detail,
                        errors=[{"field": "body", "message": reason or "not valid JSON"}])


def _body_not_object(error: RequestValidationError) -> bool:
    return any(tuple(e.get("loc", ())) == ("body",) for e in error.errors())


def is_outage(error: DBAPIError) -> bool:
    """The store cannot serve now (down, restarting, full, failing, busy), judged by SQLSTATE and result code."""
    return faults.is_outage(error)
