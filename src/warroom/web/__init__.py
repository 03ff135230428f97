"""The server-rendered web UI: Jinja2 pages, plain form posts, live updates over SSE."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from warroom.web import (
    admin,
    alerts,
    announcement_days,
    announcements,
    auth,
    changes,
    dashboard,
    followups,
    incidents,
    insights,
    integrations,
    live,
    oncall,
    playbooks,
    postmortems,
    profile,
    related_issues,
    reports,
    retrospectives,
    statuspage,
    statuspage_admin,
    tokens,
)
from warroom.web.auth import SignInRequired, login_url
from warroom.web.templating import SECURITY_HEADERS, json_reply, wants_json


def include_web_routes(app: FastAPI) -> None:
    for module in (auth, dashboard, incidents, live, announcements, playbooks, tokens, admin, oncall, alerts, profile,
                   integrations, reports, announcement_days, statuspage, statuspage_admin,
                   followups, postmortems, retrospectives, related_issues, insights, changes):
        app.include_router(module.router)


def install_sign_in_handler(app: FastAPI) -> None:
    """A page that needs a session sends the browser to sign in (a page script's fetch gets a 401 instead)."""

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> Response:
        if wants_json(request):  # the page script's fetch: say so, rather than follow to a login page
            return json_reply({"ok": False, "error": "Your session has ended: sign in again (reload the page)."},
                              401)
        return Response(status_code=303, headers={**SECURITY_HEADERS, "Location": login_url(error.next_path)})
