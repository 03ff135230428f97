"""The public status pages: no sign-in, cacheable, as HTML, JSON, RSS 2.0 and Atom; and subscriptions.

Each request reads the page's version (one indexed row); the rendered output is kept in memory under
that version, so the cached path is one tiny query and a dictionary look-up, and a publish (which bumps
the version in its own transaction) is never followed by a stale page. Time alone changes a page at
midnight UTC and when maintenance starts or ends: a rendering is also kept only until then.
Responses carry a strong ETag (a hash of the bytes) and ``Cache-Control: public`` with a short max-age.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import html
import json
import re
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from warroom.api.deps import get_runtime
from warroom.core.bounds import is_count
from warroom.core.clock import as_utc
from warroom.core.errors import ValidationFailed, WarroomError
from warroom.db.engine import Database
from warroom.reports.guard import RateLimited, RateLimiter
from warroom.runtime import Runtime
from warroom.statuspage import rendering, service, subscribers
from warroom.statuspage.models import StatusPage
from warroom.statuspage.rendering import PageView, UpdateView
from warroom.web.auth import client_address
from warroom.web.templating import SECURITY_HEADERS, STATIC, render

router = APIRouter(include_in_schema=False)

MAX_AGE = 15  # seconds browsers and proxies may reuse a page without asking
MAX_SUBSCRIBE_FIELDS = 300
HTML = "text/html; charset=utf-8"
MEDIA = {"html": HTML, "history": HTML, "json": "application/json", "rss": "application/rss+xml; charset=utf-8",
         "atom": "application/atom+xml; charset=utf-8"}
NO_STORE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}


def _css_url() -> str:
    path = STATIC / "status.css"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.exists() else "0"
    return f"/static/status.css?v={digest}"


STATUS_CSS = _css_url()


# The rendered-output cache ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """What a rendering is valid for: the page row as it was read."""

    page_id: int
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class Rendered:
    """One rendering, also gzipped once: most of a cached request is sending the bytes."""

    body: bytes
    etag: str
    media_type: str
    valid_until: datetime
    gzipped: bytes = b""

    @classmethod
    def of(cls, body: bytes, media_type: str, valid_until: datetime) -> Rendered:
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', media_type, valid_until,
                   gzip.compress(body, compresslevel=6, mtime=0))

    @property
    def gzip_etag(self) -> str:
        """A strong ETag names one representation: the gzipped bytes get their own."""
        return self.etag[:-1] + '-gz"'


class RenderCache:
    """The latest rendering per page and variant; an older version is simply replaced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[int, str], tuple[Stamp, Rendered]] = {}
        self._rendering: dict[tuple[int, str], threading.Lock] = {}

    def rendering_lock(self, page_id: int, variant: str) -> threading.Lock:
        """One rendering at a time per page and variant: after a publish, the requests that arrive together
        wait for the first one's result instead of all rendering the same page."""
        with self._lock:
            return self._rendering.setdefault((page_id, variant), threading.Lock())

    def get(self, stamp: Stamp, variant: str, now: datetime) -> Rendered | None:
        entry = self._entries.get((stamp.page_id, variant))
        if entry is None or entry[0] != stamp or now >= entry[1].valid_until:
            return None
        return entry[1]

    def put(self, stamp: Stamp, variant: str, rendered: Rendered) -> None:
        with self._lock:
            current = self._entries.get((stamp.page_id, variant))
            if current is None or current[0].version <= stamp.version:
                self._entries[(stamp.page_id, variant)] = (stamp, rendered)


_cache_lock = threading.Lock()


def cache_of(app: FastAPI) -> RenderCache:
    """One cache per app (per runtime and store), made on first use."""
    cache: RenderCache | None = getattr(app.state, "status_page_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(app.state, "status_page_cache", None)
            if cache is None:
                cache = RenderCache()
                app.state.status_page_cache = cache
    return cache


_STAMP = sa.select(StatusPage.id, StatusPage.version, StatusPage.updated_at)


def read_stamp(runtime: Runtime, slug: str) -> Stamp | None:
    """One indexed row, on a bare connection (no ORM session): the cached path's only database work."""
    if not service.SLUG_RE.match(slug):
        return None
    query = _STAMP.where(StatusPage.slug == slug)
    database = runtime.database
    row: sa.Row[int, int, datetime] | None
    if database.dialect == "postgresql":
        row = _read_on_held_connection(database, query)
    else:
        with database.engine.connect() as conn:
            row = conn.execute(query).first()
    if row is None:
        return None
    page_id, version, updated_at = row
    return Stamp(int(page_id), int(version), as_utc(updated_at))


class _Held(threading.local):
    connection: sa.Connection | None = None


_held: weakref.WeakKeyDictionary[Database, _Held] = weakref.WeakKeyDictionary()
_held_lock = threading.Lock()


def _read_on_held_connection(database: Database, query: sa.Select[int, int, datetime],
                             ) -> sa.Row[int, int, datetime] | None:
    """PostgreSQL: one autocommit connection kept per thread, which saves the pool's check-out ping and the
    BEGIN/ROLLBACK round trips (each a network round trip) on every request. A broken one is dropped."""
    with _held_lock:
        held = _held.setdefault(database, _Held())
    conn = held.connection
    if conn is None or conn.closed or conn.invalidated:
        conn = held.connection = database.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        return conn.execute(query).first()
    except sa.exc.DBAPIError:
        held.connection = None
        with contextlib.suppress(sa.exc.DBAPIError):
            conn.close()
        raise


# Rendering ----------------------------------------------------------------------------------------------


def rfc822(value: datetime) -> str:
    return format_datetime(as_utc(value), usegmt=True)


def feed_html(update: UpdateView) -> str:
    """An update as the small HTML a feed reader shows: every piece of text escaped here."""
    paragraphs = [f"<p>{html.escape(p)}</p>" for p in update.body.split("\n\n") if p.strip()]
    if update.affected:
        listed = ", ".join(f"{html.escape(name)} ({html.escape(state.label.lower())})"
                           for name, state in update.affected)
        paragraphs.append(f"<p>Affected: {listed}</p>")
    return "".join(p.replace("\n", "<br>") for p in paragraphs)


def render_variant(view: PageView, variant: str, base_url: str) -> bytes:
    url = rendering.page_url(base_url, view.slug)
    if variant == "json":
        text = json.dumps(rendering.as_json(view, base_url), ensure_ascii=False, separators=(",", ":"))
        # Inside JSON strings only; keeps the body inert even where something sniffs it as HTML.
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
    context: dict[str, Any] = {"view": view, "url": url, "status_css": STATUS_CSS, "rfc822": rfc822,
                               "feed_html": feed_html, "percent": rendering.percent}
    name = {"html": "status_page.html", "history": "status_history.html", "rss": "status_rss.xml",
            "atom": "status_atom.xml"}[variant]
    return render(name, **context).encode()


def build(runtime: Runtime, slug: str, variant: str, cache: RenderCache, seen: Stamp | None = None,
          ) -> Rendered | None:
    """Read and render the page now (the uncached path), and keep the result for the next request."""
    if seen is None:
        return _render(runtime, slug, variant, cache)
    with cache.rendering_lock(seen.page_id, variant):
        done = cache.get(seen, variant, runtime.clock.now())  # made by the request we waited for
        return done if done is not None else _render(runtime, slug, variant, cache)


def _render(runtime: Runtime, slug: str, variant: str, cache: RenderCache) -> Rendered | None:
    now = runtime.clock.now()
    with runtime.database.reading() as db:
        page = service.find_page(db=db, slug=slug)
        if page is None:
            return None
        stamp = Stamp(page.id, page.version, page.updated_at)
        past = rendering.WINDOW_DAYS if variant == "history" else rendering.RECENT_DAYS
        view = rendering.build_view(db=db, page=page, now=now, past_days=past)
    rendered = Rendered.of(render_variant(view, variant, runtime.settings.base_url), MEDIA[variant],
                           view.valid_until)
    cache.put(stamp, variant, rendered)
    return rendered


def _matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    # Weak comparison, as If-None-Match asks for (RFC 9110 13.1.2).
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def answer(rendered: Rendered, now: datetime, if_none_match: str, accept_encoding: str,
           ) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for a rendering: 304 when the client's copy is current, gzip when asked for."""
    seconds = int((rendered.valid_until - now).total_seconds())
    zipped = bool(rendered.gzipped) and _accepts_gzip(accept_encoding)
    etag = rendered.gzip_etag if zipped else rendered.etag
    headers = {**SECURITY_HEADERS, "ETag": etag, "Vary": "Accept-Encoding",
               "Cache-Control": f"public, max-age={max(0, min(MAX_AGE, seconds))}"}
    if _matches(if_none_match, etag):
        return 304, headers, b""
    headers["Content-Type"] = rendered.media_type
    if zipped:
        headers["Content-Encoding"] = "gzip"
        return 200, headers, rendered.gzipped
    return 200, headers, rendered.body


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def respond(request: Request, rendered: Rendered, now: datetime) -> Response:
    status, headers, body = answer(rendered, now, request.headers.get("if-none-match", ""),
                                   request.headers.get("accept-encoding", ""))
    return Response(body, status_code=status, headers=headers)


def not_found(slug: str) -> Response:
    body = render("status_message.html", status_css=STATUS_CSS, title="No such status page", page=None,
                  message=f"There is no status page at /status/{slug[:64]}.", error=True, form_action="",
                  button="", link=("/status", "All status pages"))
    return Response(body, status_code=404, media_type=HTML, headers=NO_STORE)


async def serve(request: Request, runtime: Runtime, slug: str, variant: str) -> Response:
    now = runtime.clock.now()
    stamp = read_stamp(runtime, slug)
    if stamp is None:
        return not_found(slug)
    cache = cache_of(request.app)
    rendered = cache.get(stamp, variant, now)
    if rendered is None:
        rendered = await run_in_threadpool(build, runtime, slug, variant, cache, stamp)
        if rendered is None:
            return not_found(slug)
    return respond(request, rendered, now)


# The cached path, before routing -----------------------------------------------------------------------------

PUBLIC_PATH = re.compile(
    r"^/status/(?P<slug>[a-z0-9][a-z0-9-]{0,63})(?P<suffix>\.json|/rss\.xml|/atom\.xml|/history)?$")
SUFFIXES = {None: "html", ".json": "json", "/rss.xml": "rss", "/atom.xml": "atom", "/history": "history"}


class CachedStatusPages:
    """ASGI middleware: a cached public page is answered here, without routing the request through the app.

    Matching a path against every route of the app costs more than everything else a cached page needs (one
    indexed row and a dictionary look-up), so the public pages, which take the most traffic, skip it. Anything
    not cached yet (or any trouble) goes on to the app, whose route renders and caches it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            match = PUBLIC_PATH.match(scope["path"])
            if match is not None and await self._cached(scope, send, match):
                return
        await self.app(scope, receive, send)

    async def _cached(self, scope: Scope, send: Send, match: re.Match[str]) -> bool:
        app = scope.get("app")
        runtime: Runtime | None = getattr(getattr(app, "state", None), "runtime", None)
        if app is None or runtime is None:
            return False
        try:
            stamp = read_stamp(runtime, match["slug"])
        except sa.exc.SQLAlchemyError:
            return False  # the app's route answers (503 on a store outage)
        now = runtime.clock.now()
        rendered = cache_of(app).get(stamp, SUFFIXES[match["suffix"]], now) if stamp is not None else None
        if rendered is None:
            return False
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        status, answer_headers, body = answer(rendered, now, headers.get("if-none-match", ""),
                                              headers.get("accept-encoding", ""))
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer_headers.items()]
        if status == 200:
            raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body if scope["method"] == "GET" else b""})
        return True


# Routes: the pages ------------------------------------------------------------------------------------------


@router.api_route("/status", methods=["GET", "HEAD"])
def status_index(request: Request, runtime: Runtime = Depends(get_runtime)) -> Response:
    with runtime.database.reading() as db:
        pages = service.list_pages(db=db, listed_only=True)
    body = render("status_index.html", status_css=STATUS_CSS, pages=pages).encode()
    rendered = Rendered(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', HTML,
                        runtime.clock.now() + rendering.MAX_FRESH)  # small: sent as it is
    return respond(request, rendered, runtime.clock.now())


@router.api_route("/status/{slug}.json", methods=["GET", "HEAD"])
async def status_json(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return await serve(request, runtime, slug, "json")


@router.api_route("/status/{slug}/rss.xml", methods=["GET", "HEAD"])
async def status_rss(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return await serve(request, runtime, slug, "rss")


@router.api_route("/status/{slug}/atom.xml", methods=["GET", "HEAD"])
async def status_atom(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return await serve(request, runtime, slug, "atom")


@router.api_route("/status/{slug}/history", methods=["GET", "HEAD"])
async def status_history(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return await serve(request, runtime, slug, "history")


@router.api_route("/status/{slug}", methods=["GET", "HEAD"])
async def status_page(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    return await serve(request, runtime, slug, "html")


# Routes: subscriptions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRef:
    """A page's slug and name, read inside the transaction: still there after a rollback."""

    slug: str
    name: str

    @classmethod
    def of(cls, page: StatusPage) -> PageRef:
        return cls(page.slug, page.name)


def message_page(page: PageRef | None, title: str, message: str, *, status: int = 200, error: bool = False,
                 form_action: str = "", button: str = "") -> Response:
    link = (f"/status/{page.slug}", f"Back to {page.name} status") if page else ("/status", "All status pages")
    body = render("status_message.html", status_css=STATUS_CSS, title=title, page=page, message=message,
                  error=error, form_action=form_action, button=button, link=link)
    return Response(body, status_code=status, media_type=HTML, headers=NO_STORE)


def _component_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not is_count(value.strip()) or len(value.strip()) > 12:
            raise ValidationFailed(f"'{value[:20]}' is not a component of this page.", field="components")
        ids.append(int(value.strip()))
    return ids


# Each subscription sends a confirmation mail to the address given: at most this many per client address.
SUBSCRIBE_LIMIT = 10
SUBSCRIBE_WINDOW = timedelta(minutes=10)


def _subscribe_limiter(request: Request) -> RateLimiter:
    """One limiter per app, made on first use; it counts in the database, shared by every web process."""
    state = request.app.state
    if not hasattr(state, "status_subscribe_limiter"):
        state.status_subscribe_limiter = RateLimiter(limit=SUBSCRIBE_LIMIT, window=SUBSCRIBE_WINDOW,
                                                     shared=state.runtime.throttles, name="subscribe")
    limiter: RateLimiter = state.status_subscribe_limiter
    return limiter


@router.post("/status/{slug}/subscribe")
async def subscribe(request: Request, slug: str, runtime: Runtime = Depends(get_runtime)) -> Response:
    try:
        _subscribe_limiter(request).hit(client_address(request, runtime) or "unknown", runtime.clock.now())
    except RateLimited as refusal:
        minutes = max(1, round(refusal.retry_after / 60))
        answer = message_page(None, "Not subscribed", f"Too many subscriptions from your address; try again in "
                              f"{minutes} minute{'s' if minutes != 1 else ''}.", status=429, error=True)
        answer.headers["Retry-After"] = str(refusal.retry_after)
        return answer
    form = await request.form(max_files=0, max_fields=MAX_SUBSCRIBE_FIELDS)
    email = str(form.get("email") or "")
    trap = str(form.get("website") or "")
    components = [str(v) for v in form.getlist("component")]
    return await run_in_threadpool(_subscribe, runtime, slug, email, components, trap)


def _subscribe(runtime: Runtime, slug: str, email: str, components: list[str], trap: str) -> Response:
    page: PageRef | None = None
    try:
        with runtime.database.writing() as db:
            found = service.get_page(db=db, slug=slug)
            page = PageRef.of(found)
            if trap.strip():
                # Filled in by a robot (people never see the field): the same answer, nothing stored.
                return message_page(page, "Almost there", subscribers.CHECK_INBOX)
            done = subscribers.subscribe_email(db=db, page=found, email=email,
                                               component_ids=_component_ids(components), clock=runtime.clock)
    except WarroomError as error:
        return message_page(page, "Not subscribed", error.message, status=error.status, error=True)
    return message_page(page, "Almost there", done.message)


ACTIONS = {
    subscribers.CONFIRM: ("Confirm your subscription", "Confirm the subscription", "You are subscribed"),
    subscribers.UNSUBSCRIBE: ("Unsubscribe", "Unsubscribe", "You are unsubscribed"),
}


def _action(value: str) -> str:
    if value not in ACTIONS:
        raise subscribers.BadLink("This link is not valid: it was changed or cut short.", field="action")
    return value


@router.get("/status/{slug}/subscription/{action}")
def subscription_form(request: Request, slug: str, action: str, id: str = "", sig: str = "",
                      runtime: Runtime = Depends(get_runtime)) -> Response:
    """Following the mail's link shows one button; link scanners that only fetch change nothing."""
    page: PageRef | None = None
    try:
        with runtime.database.reading() as db:
            found = service.get_page(db=db, slug=slug)
            page = PageRef.of(found)
            subscriber = subscribers.verify_link(db=db, page=found, subscriber_id=id, signature=sig,
                                                 action=_action(action), secret_key=runtime.secret_key)
            address = subscriber.address if subscriber.kind.value == "email" else "this webhook"
    except WarroomError as error:
        return message_page(page, "Invalid link", error.message, status=error.status, error=True)
    assert page is not None
    title, button, _ = ACTIONS[action]
    what = "receive" if action == subscribers.CONFIRM else "stop receiving"
    return message_page(page, title, f"Press the button to {what} {page.name} status updates at {address}.",
                        form_action=str(request.url.path) + "?" + str(request.url.query), button=button)


@router.post("/status/{slug}/subscription/{action}")
def subscription_change(slug: str, action: str, id: str = "", sig: str = "",
                        runtime: Runtime = Depends(get_runtime)) -> Response:
    """The button, and mail clients' one-click unsubscribe (RFC 8058), which POSTs to the same link."""
    page: PageRef | None = None
    try:
        with runtime.database.writing() as db:
            found = service.get_page(db=db, slug=slug)
            page = PageRef.of(found)
            change = subscribers.confirm if _action(action) == subscribers.CONFIRM else subscribers.unsubscribe
            change(db=db, page=found, subscriber_id=id, signature=sig, secret_key=runtime.secret_key,
                   clock=runtime.clock)
    except WarroomError as error:
        return message_page(page, "Not done", error.message, status=error.status, error=True)
    assert page is not None
    _, _, done = ACTIONS[action]
    message = (f"You will receive {page.name} status updates by email." if action == subscribers.CONFIRM
               else f"You will receive no more {page.name} status updates.")
    return message_page(page, done, message)
