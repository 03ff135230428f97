"""Jinja2 for the web UI: autoescaped templates, filters, flash notes and page responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from markupsafe import Markup

from warroom.checklists.service import TICKED_BY_CLOSE
from warroom.core.clock import as_utc
from warroom.core.security import sign
from warroom.dashboard.service import format_duration
from warroom.incidents.models import SEVERITY_MEANING, Severity, Status
from warroom.runtime import Runtime

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
FLASH_COOKIE = "warroom_flash"

# The pages load only our own files; nothing inline, nothing from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _asset_version() -> str:
    """A hash of our CSS and JS, so browsers cache them until they change."""
    digest = hashlib.sha256()
    for name in ("warroom.css", "warroom.js"):
        path = STATIC / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


ASSET_VERSION = _asset_version()


def static_url(name: str) -> str:
    return f"/static/{name}?v={ASSET_VERSION}"


def when(value: datetime | None) -> str:
    """Full date and time in UTC; the browser script rewrites it into local time."""
    if value is None:
        return "—"
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def clock_time(value: datetime) -> str:
    return as_utc(value).strftime("%H:%M")


def iso(value: datetime | None) -> str:
    return as_utc(value).isoformat() if value is not None else ""


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown(text: str) -> Markup:
    """Playbook Markdown. Raw HTML is off, so the output holds only what Markdown itself makes."""
    rendered = _markdown.render(text)
    # Task-list lines ("- [ ] step") become the playbook's checklist; show them as boxes.
    rendered = rendered.replace("<li>[ ] ", '<li class="task">☐ ').replace("<li>[x] ", '<li class="task">☑ ')
    return Markup(rendered)  # noqa: S704  (markdown-it with html disabled escapes all input)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, clock=clock_time, iso=iso, duration=format_duration, markdown=markdown)
    env.globals.update(
        static=static_url,
        SEVERITIES=list(Severity),
        SEVERITY_MEANING={s.value: text for s, text in SEVERITY_MEANING.items()},
        ACTIVE_STATUSES=[s for s in Status if s.is_active],
        STATUSES=list(Status),
        TICKED_BY_CLOSE=TICKED_BY_CLOSE,
    )
    return env


env = _environment()


def render(name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)


# Flash notes: one line (plus warnings) carried across the redirect that follows a form post.


@dataclass
class Flash:
    message: str
    warnings: list[str] = field(default_factory=list)
    where: str = "page"  # which part of the page shows it: "page", "composer", "panel"
    link: str = ""  # e.g. the room of an incident a command declared
    suggestions: list[dict[str, str]] = field(default_factory=list)  # playbooks, right after declare


def _flash_value(runtime: Runtime, flash: Flash) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(asdict(flash)).encode()).decode()
    return f"{payload}.{sign(runtime.secret_key, payload)}"


def read_flash(runtime: Runtime, request: Request) -> Flash | None:
    raw = request.cookies.get(FLASH_COOKIE, "")
    payload, _, signature = raw.partition(".")
    if not payload or not hmac.compare_digest(signature, sign(runtime.secret_key, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
        return Flash(**data)
    except (ValueError, TypeError):
        return None


def is_secure(runtime: Runtime) -> bool:
    return runtime.settings.base_url.startswith("https://")


def redirect(runtime: Runtime, url: str, flash: Flash | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)
    if flash is not None:
        response.set_cookie(FLASH_COOKIE, _flash_value(runtime, flash), max_age=120, httponly=True,
                            samesite="lax", secure=is_secure(runtime))
    return response


def page(
    runtime: Runtime, request: Request, name: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A whole page. Shows (and clears) the flash note left by the previous form post."""
    flash = read_flash(runtime, request)
    context.setdefault("flash", flash)
    context.setdefault("principal", None)
    context.setdefault("form_error", None)
    context.setdefault("nav", "")
    html = render(name, request=request, **context)
    response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE, httponly=True, samesite="lax", secure=is_secure(runtime))
    return response


def html_fragment(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


def wants_json(request: Request) -> bool:
    """The page script posts forms with fetch and asks for JSON; a plain form post gets HTML."""
    return "application/json" in request.headers.get("accept", "")


def json_reply(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
